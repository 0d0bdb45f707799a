//! Client authentication with a private key (`private_key_jwt`, RFC 7523 and OpenID Connect Core
//! §9): instead of a shared secret, each request to the provider carries a short-lived JWT
//! signed with the client's key, whose public half the provider knows.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use rand::RngCore as _;
use serde::Serialize;

use crate::Error;

/// How long a client assertion is valid: long enough for one request, short enough that a
/// captured one is useless soon after.
const ASSERTION_LIFETIME: u64 = 60;

/// The `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
pub(crate) const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A client's private key, for `private_key_jwt` client authentication: a P-256 key (ES256, the
/// algorithm FAPI 2.0 and every provider that offers `private_key_jwt` accept), from PEM or from
/// a private JWK. Give it to [`Client::with_private_key`](crate::Client::with_private_key) and
/// register its public half with the provider (as a JWK, in the client's `jwks` or at its
/// `jwks_uri`).
///
/// ```
/// use axum_oauth_login::ClientKey;
/// // The key's text, as `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256` writes
/// // it, or a private JWK (`{"kty":"EC","crv":"P-256","d":...}`).
/// # use p256::pkcs8::EncodePrivateKey as _;
/// # let pem = p256::SecretKey::from_slice(&[7; 32]).unwrap().to_pkcs8_pem(Default::default()).unwrap();
/// let key = ClientKey::from_pem(&pem)?.with_kid("key-2026");
/// assert_eq!(key.kid(), Some("key-2026"));
/// assert!(ClientKey::from_pem("not a key").is_err());
/// # Ok::<(), axum_oauth_login::Error>(())
/// ```
#[derive(Clone)]
pub struct ClientKey {
    key: Arc<EncodingKey>,
    kid: Option<String>,
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientKey")
            .field("alg", &"ES256")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Assertion<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    jti: String,
    iat: u64,
    exp: u64,
}

impl ClientKey {
    /// A P-256 private key in PEM form (PKCS#8, `BEGIN PRIVATE KEY`, or SEC1, `BEGIN EC PRIVATE
    /// KEY`).
    ///
    /// # Errors
    /// [`Error::Config`] when the text is not such a key (RSA keys are not supported yet).
    ///
    /// ```
    /// assert_eq!(axum_oauth_login::ClientKey::from_pem("").unwrap_err().code(), "config");
    /// ```
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        let pem = pem.trim();
        let key = p256::SecretKey::from_pkcs8_pem(pem)
            .or_else(|_| p256::SecretKey::from_sec1_pem(pem))
            .map_err(|_| {
                Error::Config(
                    "the client key is not a P-256 private key in PEM form (PKCS#8 or SEC1)".into(),
                )
            })?;
        Self::from_secret(&key, None)
    }

    /// A private JWK (`{"kty":"EC","crv":"P-256","x":...,"y":...,"d":...}`); its `kid`, when it
    /// has one, names the key in the assertions' header.
    ///
    /// # Errors
    /// [`Error::Config`] when the text is not a P-256 private JWK.
    ///
    /// ```
    /// assert!(axum_oauth_login::ClientKey::from_jwk(r#"{"kty":"oct","k":"AA"}"#).is_err());
    /// ```
    pub fn from_jwk(jwk: &str) -> Result<Self, Error> {
        let invalid = || Error::Config("the client key is not a P-256 private JWK".into());
        let jwk: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(jwk).map_err(|_| invalid())?;
        let kid = jwk
            .get("kid")
            .and_then(|kid| kid.as_str().map(str::to_owned));
        // p256 reads the key's own members only (not `kid`, `use`, `alg`...).
        let members: serde_json::Map<String, serde_json::Value> = jwk
            .into_iter()
            .filter(|(name, _)| ["kty", "crv", "x", "y", "d"].contains(&name.as_str()))
            .collect();
        let key = p256::SecretKey::from_jwk_str(&serde_json::Value::Object(members).to_string())
            .map_err(|_| invalid())?;
        Self::from_secret(&key, kid)
    }

    /// A key from PEM or JWK text, whichever `text` is (as in an environment variable).
    ///
    /// # Errors
    /// The errors of [`from_pem`](Self::from_pem) and [`from_jwk`](Self::from_jwk).
    ///
    /// ```
    /// assert!(axum_oauth_login::ClientKey::from_text("{}").is_err());
    /// ```
    pub fn from_text(text: &str) -> Result<Self, Error> {
        if text.trim_start().starts_with('{') {
            Self::from_jwk(text)
        } else {
            Self::from_pem(text)
        }
    }

    /// Names the key (`kid` in the assertions' header), as registered with the provider.
    ///
    /// ```
    /// # use p256::pkcs8::EncodePrivateKey as _;
    /// # let pem = p256::SecretKey::from_slice(&[7; 32]).unwrap().to_pkcs8_pem(Default::default()).unwrap();
    /// let key = axum_oauth_login::ClientKey::from_pem(&pem)?.with_kid("k1");
    /// assert_eq!(key.kid(), Some("k1"));
    /// # Ok::<(), axum_oauth_login::Error>(())
    /// ```
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The key's name, when it has one.
    ///
    /// ```
    /// # use p256::pkcs8::EncodePrivateKey as _;
    /// # let pem = p256::SecretKey::from_slice(&[7; 32]).unwrap().to_pkcs8_pem(Default::default()).unwrap();
    /// assert_eq!(axum_oauth_login::ClientKey::from_pem(&pem)?.kid(), None);
    /// # Ok::<(), axum_oauth_login::Error>(())
    /// ```
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    fn from_secret(key: &p256::SecretKey, kid: Option<String>) -> Result<Self, Error> {
        let der = key
            .to_pkcs8_der()
            .map_err(|_| Error::Config("the client key cannot be encoded".into()))?;
        Ok(Self {
            key: Arc::new(EncodingKey::from_ec_der(der.as_bytes())),
            kid,
        })
    }

    /// A fresh client assertion of `client_id` for the provider `audience` (its issuer, or its
    /// token endpoint for a provider without one): signed, unique (`jti`), valid for a minute.
    pub(crate) fn assertion(&self, client_id: &str, audience: &str) -> Result<String, Error> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut jti = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut jti);
        let claims = Assertion {
            iss: client_id,
            sub: client_id,
            aud: audience,
            jti: URL_SAFE_NO_PAD.encode(jti),
            iat: now,
            exp: now + ASSERTION_LIFETIME,
        };
        let mut header = Header::new(Algorithm::ES256);
        header.kid.clone_from(&self.kid);
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|_| Error::Config("the client assertion could not be signed".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::JwkEcKey;

    fn secret() -> p256::SecretKey {
        p256::SecretKey::from_slice(&[9; 32]).unwrap()
    }

    #[test]
    fn an_assertion_names_the_client_and_the_provider_and_verifies_with_the_public_key() {
        let mut jwk: serde_json::Value = serde_json::from_str(&secret().to_jwk_string()).unwrap();
        jwk["kid"] = "k1".into();
        jwk["use"] = "sig".into();
        let key = ClientKey::from_jwk(&jwk.to_string()).unwrap();
        assert_eq!(key.kid(), Some("k1"), "the JWK's kid");
        let token = key.assertion("app", "https://issuer.example").unwrap();

        let public: JwkEcKey = secret().public_key().to_jwk();
        let public: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(serde_json::to_value(&public).unwrap()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::ES256);
        validation.set_audience(&["https://issuer.example"]);
        let data = jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &jsonwebtoken::DecodingKey::from_jwk(&public).unwrap(),
            &validation,
        )
        .unwrap();
        assert_eq!(data.header.kid.as_deref(), Some("k1"));
        assert_eq!(data.claims["iss"], "app");
        assert_eq!(data.claims["sub"], "app");
        let (iat, exp) = (data.claims["iat"].as_u64(), data.claims["exp"].as_u64());
        assert_eq!(exp.unwrap() - iat.unwrap(), ASSERTION_LIFETIME);
        let other = key.assertion("app", "https://issuer.example").unwrap();
        let jti = |t: &str| {
            let payload = URL_SAFE_NO_PAD
                .decode(t.split('.').nth(1).unwrap())
                .unwrap();
            serde_json::from_slice::<serde_json::Value>(&payload).unwrap()["jti"].clone()
        };
        assert_ne!(jti(&token), jti(&other), "each assertion is unique");
    }

    #[test]
    fn pem_and_jwk_forms_are_read_and_other_keys_refused() {
        use p256::pkcs8::LineEnding;
        let pkcs8 = secret().to_pkcs8_pem(LineEnding::LF).unwrap();
        assert!(ClientKey::from_text(&pkcs8).is_ok());
        let sec1 = secret().to_sec1_pem(LineEnding::LF).unwrap();
        assert!(ClientKey::from_text(&sec1).is_ok());
        let jwk = ClientKey::from_text(&secret().to_jwk_string()).unwrap();
        assert_eq!(jwk.kid(), None);
        let public_only = secret().public_key().to_jwk_string();
        assert!(ClientKey::from_jwk(&public_only).is_err());
        let error = ClientKey::from_pem(
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----",
        )
        .unwrap_err();
        assert!(
            !format!("{error:?}").contains("AAAA"),
            "the key is not echoed"
        );
        let private: serde_json::Value = serde_json::from_str(&secret().to_jwk_string()).unwrap();
        let d = private["d"].as_str().unwrap();
        assert!(!format!("{jwk:?}").contains(d), "Debug hides the key");
    }
}
