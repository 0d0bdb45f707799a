//! Google (OpenID Connect: ID tokens are verified).

use serde_json::{Map, Value};

use super::{AuthMethod, Base, OidcConfig, Provider, ProviderConfig, scopes, url};
use crate::spec::exact_issuer;

const ISSUER: &str = "https://accounts.google.com";

/// Google's quirks: its issuer has two spellings, its revocation endpoint takes the token alone.
#[derive(Debug)]
struct Google;

impl Provider for Google {
    fn config(&self) -> ProviderConfig {
        config()
    }

    /// Google's ID tokens carry either spelling of its issuer (Google's OpenID Connect docs); a
    /// client moved to other endpoints (`with_endpoints`) expects theirs exactly.
    fn check_issuer(
        &self,
        configured: &str,
        claims: &Map<String, Value>,
    ) -> Result<(), &'static str> {
        let bare = claims.get("iss").and_then(Value::as_str) == Some("accounts.google.com");
        if bare && configured == ISSUER {
            Ok(())
        } else {
            exact_issuer(configured, claims)
        }
    }

    fn revocation_authenticated(&self) -> bool {
        false
    }
}

fn provider() -> Google {
    Google
}

fn config() -> ProviderConfig {
    ProviderConfig {
        name: "google",
        auth_url: url("https://accounts.google.com/o/oauth2/v2/auth"),
        token_url: url("https://oauth2.googleapis.com/token"),
        userinfo_url: Some(url("https://openidconnect.googleapis.com/v1/userinfo")),
        revocation_url: Some(url("https://oauth2.googleapis.com/revoke")),
        end_session_url: None,
        oidc: Some(OidcConfig {
            issuer: ISSUER.to_owned(),
            jwks_url: url("https://www.googleapis.com/oauth2/v3/certs"),
            backchannel_logout: false,
        }),
        scopes: scopes(&["openid", "email", "profile"]),
        id_key: "sub".to_owned(),
        auth_method: AuthMethod::Post,
        iss_parameter: false,
        par_url: None,
        require_par: false,
        dpop: false,
        extra_auth_params: Vec::new(),
    }
}

fn config_at(base: &Base) -> ProviderConfig {
    ProviderConfig {
        auth_url: base.join("/o/oauth2/v2/auth"),
        token_url: base.join("/token"),
        userinfo_url: Some(base.join("/v1/userinfo")),
        revocation_url: Some(base.join("/revoke")),
        oidc: Some(OidcConfig {
            issuer: base.as_str().to_owned(),
            jwks_url: base.join("/oauth2/v3/certs"),
            backchannel_logout: false,
        }),
        ..config()
    }
}

provider_client! {
    /// "Sign in with Google": FastHTML's `GoogleAppClient`.
    ///
    /// Scopes `openid email profile`; the user's id is `sub`. The ID token is verified (Google's
    /// keys, issuer `https://accounts.google.com`, this client id, the login's nonce) and the user
    /// info comes from `https://openidconnect.googleapis.com/v1/userinfo`. Tokens can be revoked.
    ///
    /// `with_endpoints(base)` puts every endpoint under `base` with Google's paths:
    /// `/o/oauth2/v2/auth`, `/token`, `/v1/userinfo`, `/revoke`, keys at `/oauth2/v3/certs`, and
    /// `base` as the issuer.
    ///
    /// ```
    /// use axum_oauth_login::GoogleAppClient;
    /// let client = GoogleAppClient::new("client-id.apps.googleusercontent.com", "client-secret");
    /// assert_eq!(client.id_key(), "sub");
    /// assert_eq!(client.provider().scopes, ["openid", "email", "profile"]);
    /// ```
    GoogleAppClient
}
