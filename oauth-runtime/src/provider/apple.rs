//! Sign in with Apple (OpenID Connect; the client secret is a JWT the app signs itself).

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use serde::{Deserialize, Serialize};

use super::{AuthMethod, Base, OidcConfig, Provider, ProviderConfig, env_var, scopes, url};
use crate::{Client, Error, UserInfo};

const ISSUER: &str = "https://appleid.apple.com";

/// How long a minted client secret is valid. Apple allows up to six months; an hour limits the
/// damage of a leaked one.
const SECRET_LIFETIME: u64 = 3600;

/// A cached secret is replaced when it has less than this left, so that none expires in flight.
const SECRET_MARGIN: u64 = 600;

fn config() -> ProviderConfig {
    ProviderConfig {
        name: "apple",
        auth_url: url("https://appleid.apple.com/auth/authorize"),
        token_url: url("https://appleid.apple.com/auth/token"),
        // Apple has no user info endpoint: the ID token says who the user is.
        userinfo_url: None,
        revocation_url: Some(url("https://appleid.apple.com/auth/revoke")),
        end_session_url: None,
        oidc: Some(OidcConfig {
            issuer: ISSUER.to_owned(),
            jwks_url: url("https://appleid.apple.com/auth/keys"),
            backchannel_logout: false,
        }),
        scopes: scopes(&["name", "email"]),
        id_key: "sub".to_owned(),
        auth_method: AuthMethod::Post,
        iss_parameter: false,
        par_url: None,
        require_par: false,
        dpop: false,
        // Apple refuses `name` and `email` unless the answer is POSTed to the redirect URI.
        extra_auth_params: vec![("response_mode".to_owned(), "form_post".to_owned())],
    }
}

/// Apple's quirks: the client secret is minted, the first login's name is posted beside the code.
#[derive(Debug)]
struct Apple {
    signer: SecretSigner,
}

impl Provider for Apple {
    fn config(&self) -> ProviderConfig {
        config()
    }

    fn client_secret(&self, _registered: Option<&str>) -> Result<Option<String>, Error> {
        self.signer.secret().map(Some)
    }

    /// Sign in with Apple sends the user's name only in the first login's `form_post` body, as
    /// JSON beside the code (`{"name":{"firstName":..,"lastName":..}}`), never in the ID token.
    /// It is not signed, so it fills in a display name and nothing else: the identity and the
    /// email come from the verified ID token.
    fn read_callback_user(&self, info: &mut UserInfo, user: &str) {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Name {
            first_name: Option<String>,
            last_name: Option<String>,
        }
        #[derive(Deserialize)]
        struct User {
            name: Option<Name>,
        }
        if info.name.is_some() || user.len() > 1024 {
            return;
        }
        let Ok(User { name: Some(name) }) = serde_json::from_str::<User>(user) else {
            return;
        };
        let full = [name.first_name, name.last_name]
            .into_iter()
            .flatten()
            .map(|part| part.trim().to_owned())
            .filter(|part| !part.is_empty() && !part.chars().any(char::is_control))
            .collect::<Vec<_>>()
            .join(" ");
        if !full.is_empty() {
            info.name = Some(full);
        }
    }
}

fn config_at(base: &Base) -> ProviderConfig {
    ProviderConfig {
        auth_url: base.join("/auth/authorize"),
        token_url: base.join("/auth/token"),
        revocation_url: Some(base.join("/auth/revoke")),
        oidc: Some(OidcConfig {
            issuer: base.as_str().to_owned(),
            jwks_url: base.join("/auth/keys"),
            backchannel_logout: false,
        }),
        ..config()
    }
}

// The doc examples' key is a fixed P-256 scalar, encoded as Apple's `.p8` files are (PKCS#8 PEM).
provider_common! {
    /// "Sign in with Apple".
    ///
    /// The client id is the Services ID (`com.example.web`). Apple has no client secret to copy:
    /// the client signs its own, a JWT (ES256, header `kid` = the key id; claims `iss` = the team
    /// id, `sub` = the Services ID, `aud` = `https://appleid.apple.com`, `iat`, `exp`) with the
    /// team's private key (the `.p8` file). A secret is minted when a token, refresh or revocation
    /// request needs one, valid for an hour and reused until ten minutes before it expires.
    ///
    /// Scopes `name email`, asked with `response_mode=form_post` as Apple requires for them: the
    /// answer comes as a POST to the redirect URI. Apple has no user info endpoint; the user is
    /// read from the verified ID token (issuer `https://appleid.apple.com`, keys at
    /// `https://appleid.apple.com/auth/keys`), and the id is `sub`. Apple sends `email_verified`
    /// (and `is_private_email`) as `true`/`false` or as the strings `"true"`/`"false"`; both are
    /// read. The user's name is not in the ID token: Apple posts it once, at the first login, and
    /// the login puts it in [`UserInfo::name`](crate::UserInfo::name) that time only (unsigned,
    /// so for display; the id and the email come from the ID token). Tokens can be revoked.
    ///
    /// `with_endpoints(base)` puts every endpoint under `base` with Apple's paths: `/auth/authorize`,
    /// `/auth/token`, `/auth/revoke`, keys at `/auth/keys`, and `base` as the issuer. The secret's
    /// `aud` stays `https://appleid.apple.com`.
    ///
    /// ```
    /// # use p256::pkcs8::EncodePrivateKey as _;
    /// # let key = p256::SecretKey::from_slice(&[7; 32]).unwrap().to_pkcs8_pem(Default::default()).unwrap();
    /// use axum_oauth_login::AppleAppClient;
    /// // `key` holds the text of `AuthKey_KEY1234567.p8`.
    /// let client = AppleAppClient::new("com.example.web", "TEAM123456", "KEY1234567", &key)?;
    /// assert_eq!(client.client_id(), "com.example.web");
    /// assert_eq!(client.provider().scopes, ["name", "email"]);
    /// assert!(!format!("{client:?}").contains("PRIVATE KEY"));
    /// # Ok::<(), axum_oauth_login::Error>(())
    /// ```
    AppleAppClient,
    setup = "# use p256::pkcs8::EncodePrivateKey as _;\n# let key = p256::SecretKey::from_slice(&[7; 32]).unwrap().to_pkcs8_pem(Default::default()).unwrap();",
    make = ("axum_oauth_login::AppleAppClient::new(\"com.example.web\", \"TEAM123456\", \"KEY1234567\", &key).unwrap()"),
}

provider_endpoints! {
    AppleAppClient,
    setup = "# use p256::pkcs8::EncodePrivateKey as _;\n# let key = p256::SecretKey::from_slice(&[7; 32]).unwrap().to_pkcs8_pem(Default::default()).unwrap();",
    make = ("axum_oauth_login::AppleAppClient::new(\"com.example.web\", \"TEAM123456\", \"KEY1234567\", &key).unwrap()"),
}

impl AppleAppClient {
    /// A client of the Services ID `services_id`, signing its secrets with the key `key_id` of the
    /// team `team_id`. `private_key_pem` is the text of the `.p8` file Apple let you download
    /// (`-----BEGIN PRIVATE KEY-----`, a PKCS#8 P-256 key).
    ///
    /// # Errors
    /// [`Error::Config`] when an id is empty or the key is not a PKCS#8 P-256 private key (the
    /// message never contains the key).
    ///
    /// ```
    /// use axum_oauth_login::AppleAppClient;
    /// let error = AppleAppClient::new("com.example.web", "TEAM123456", "KEY1234567", "not a key")
    ///     .unwrap_err();
    /// assert_eq!(error.code(), "config");
    /// assert!(!error.to_string().contains("not a key"));
    /// ```
    pub fn new(
        services_id: impl Into<String>,
        team_id: impl Into<String>,
        key_id: impl Into<String>,
        private_key_pem: &str,
    ) -> Result<Self, Error> {
        let services_id = services_id.into();
        let signer = SecretSigner::new(
            team_id.into(),
            services_id.clone(),
            key_id.into(),
            private_key_pem,
        )?;
        Ok(Self(Client::from_provider(
            Apple { signer },
            services_id,
            None,
        )))
    }

    /// A client configured by the environment: `APPLE_CLIENT_ID` (the Services ID),
    /// `APPLE_TEAM_ID`, `APPLE_KEY_ID`, and the key as PEM text in `APPLE_PRIVATE_KEY` (`\n`
    /// escapes are accepted) or in the file named by `APPLE_PRIVATE_KEY_PATH`.
    ///
    /// # Errors
    /// [`Error::Config`] naming the variable that is missing, or the errors of
    /// [`new`](Self::new).
    ///
    /// ```
    /// match axum_oauth_login::AppleAppClient::from_env() {
    ///     Ok(client) => println!("logging in with {}", client.provider().name),
    ///     Err(error) => assert_eq!(error.code(), "config"),
    /// }
    /// ```
    pub fn from_env() -> Result<Self, Error> {
        let services_id = env_var("APPLE_CLIENT_ID")?;
        let team_id = env_var("APPLE_TEAM_ID")?;
        let key_id = env_var("APPLE_KEY_ID")?;
        let pem = match env_var("APPLE_PRIVATE_KEY") {
            // A PEM squeezed into one line of a `.env` file.
            Ok(pem) => pem.replace("\\n", "\n"),
            Err(_) => {
                let path = env_var("APPLE_PRIVATE_KEY_PATH").map_err(|_| {
                    Error::Config(
                        "the environment variable APPLE_PRIVATE_KEY (or APPLE_PRIVATE_KEY_PATH) is not set"
                            .into(),
                    )
                })?;
                std::fs::read_to_string(&path).map_err(|_| {
                    Error::Config("the file named by APPLE_PRIVATE_KEY_PATH cannot be read".into())
                })?
            }
        };
        Self::new(services_id, team_id, key_id, &pem)
    }
}

/// The claims of Apple's client secret ("Creating a client secret" in Apple's docs).
#[derive(Serialize)]
struct SecretClaims<'a> {
    iss: &'a str,
    iat: u64,
    exp: u64,
    aud: &'static str,
    sub: &'a str,
}

/// Mints Apple client secrets and keeps the current one.
pub(crate) struct SecretSigner {
    team_id: String,
    client_id: String,
    header: Header,
    key: EncodingKey,
    /// The current secret and its `exp`.
    cached: Mutex<Option<(String, u64)>>,
}

impl fmt::Debug for SecretSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretSigner")
            .field("team_id", &self.team_id)
            .field("key_id", &self.header.kid)
            .finish_non_exhaustive()
    }
}

impl SecretSigner {
    fn new(
        team_id: String,
        client_id: String,
        key_id: String,
        private_key_pem: &str,
    ) -> Result<Self, Error> {
        for (name, value) in [
            ("Services ID", &client_id),
            ("team id", &team_id),
            ("key id", &key_id),
        ] {
            if value.trim().is_empty() {
                return Err(Error::Config(format!("the Apple {name} is empty")));
            }
        }
        // jsonwebtoken reads PEM only with its `use_pem` feature; p256 checks the key is a P-256
        // PKCS#8 key and hands jsonwebtoken the DER it signs with.
        let der = p256::SecretKey::from_pkcs8_pem(private_key_pem.trim())
            .and_then(|key| key.to_pkcs8_der())
            .map_err(|_| {
                Error::Config(
                    "the Apple private key is not a PKCS#8 P-256 key in PEM form (the .p8 file's text)"
                        .into(),
                )
            })?;
        let mut header = Header::new(Algorithm::ES256);
        // Apple's example header has `alg` and `kid` only.
        header.typ = None;
        header.kid = Some(key_id);
        let signer = Self {
            team_id,
            client_id,
            header,
            key: EncodingKey::from_ec_der(der.as_bytes()),
            cached: Mutex::new(None),
        };
        // Fail now, at start-up, rather than at the first login.
        signer.secret()?;
        Ok(signer)
    }

    /// The current secret, minted anew when it has less than [`SECRET_MARGIN`] left.
    pub(crate) fn secret(&self) -> Result<String, Error> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((secret, exp)) = cached.as_ref()
            && *exp > now + SECRET_MARGIN
        {
            return Ok(secret.clone());
        }
        let claims = SecretClaims {
            iss: &self.team_id,
            iat: now,
            exp: now + SECRET_LIFETIME,
            aud: ISSUER,
            sub: &self.client_id,
        };
        let secret = jsonwebtoken::encode(&self.header, &claims, &self.key)
            .map_err(|_| Error::Config("the Apple client secret could not be signed".into()))?;
        *cached = Some((secret.clone(), claims.exp));
        Ok(secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> SecretSigner {
        let pem = p256::SecretKey::from_slice(&[7; 32])
            .unwrap()
            .to_pkcs8_pem(Default::default())
            .unwrap();
        SecretSigner::new("TEAM".into(), "com.example.web".into(), "KID".into(), &pem).unwrap()
    }

    fn exp_of(secret: &str) -> u64 {
        let claims = jsonwebtoken::dangerous::insecure_decode::<serde_json::Value>(secret)
            .unwrap()
            .claims;
        claims["exp"].as_u64().unwrap()
    }

    #[test]
    fn the_secret_is_reused_until_its_margin_then_minted_anew() {
        let signer = signer();
        let first = signer.secret().unwrap();
        assert_eq!(signer.secret().unwrap(), first, "cached");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!((now + SECRET_LIFETIME - 5..=now + SECRET_LIFETIME).contains(&exp_of(&first)));

        // Ten minutes from expiry (or less): replaced.
        *signer.cached.lock().unwrap() = Some(("stale".into(), now + SECRET_MARGIN));
        let second = signer.secret().unwrap();
        assert_ne!(second, "stale");
        assert!(exp_of(&second) >= now + SECRET_LIFETIME);
        // More than ten minutes left: kept.
        *signer.cached.lock().unwrap() = Some(("fresh".into(), now + SECRET_MARGIN + 60));
        assert_eq!(signer.secret().unwrap(), "fresh");
    }

    #[test]
    fn debug_shows_the_ids_only() {
        let text = format!("{:?}", signer());
        assert!(text.contains("TEAM") && text.contains("KID"), "{text}");
        assert!(!text.contains("eyJ"), "{text}");
    }

    #[test]
    fn apples_first_login_name_fills_in_the_display_name_only() {
        let info = |provider: &str| {
            UserInfo::from_claims("sub", serde_json::json!({"sub": "001"}))
                .unwrap()
                .with_provider(provider)
        };
        let user = r#"{"name":{"firstName":"Ada","lastName":"Lovelace"},"email":"x@example.com"}"#;
        let apple =
            crate::Client::from_provider(Apple { signer: signer() }, "com.example.web", None);
        let github: crate::Client = crate::GitHubAppClient::new("id", "secret").into();
        let mut info_apple = info("apple");
        apple.read_callback_user(&mut info_apple, user);
        let apple_info = info_apple;
        assert_eq!(apple_info.name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(apple_info.email, None, "the unsigned email is ignored");
        let mut github_info = info("github");
        github.read_callback_user(&mut github_info, user);
        assert_eq!(github_info.name, None, "only Apple sends `user`");
        let mut bad = info("apple");
        apple.read_callback_user(&mut bad, "not json");
        apple.read_callback_user(&mut bad, r#"{"name":{"firstName":"\u0007"}}"#);
        assert_eq!(bad.name, None);
    }
}
