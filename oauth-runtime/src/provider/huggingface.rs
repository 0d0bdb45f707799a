//! Hugging Face (OpenID Connect: ID tokens are verified).

use super::{AuthMethod, Base, OidcConfig, ProviderConfig, scopes};

fn config() -> ProviderConfig {
    config_at(&Base("https://huggingface.co".to_owned()))
}

fn config_at(base: &Base) -> ProviderConfig {
    ProviderConfig {
        name: "huggingface",
        auth_url: base.join("/oauth/authorize"),
        token_url: base.join("/oauth/token"),
        userinfo_url: Some(base.join("/oauth/userinfo")),
        revocation_url: None,
        end_session_url: None,
        oidc: Some(OidcConfig {
            issuer: base.as_str().to_owned(),
            jwks_url: base.join("/oauth/jwks"),
            backchannel_logout: false,
        }),
        scopes: scopes(&["openid", "profile"]),
        id_key: "sub".to_owned(),
        auth_method: AuthMethod::Basic,
        iss_parameter: false,
        par_url: None,
        require_par: false,
        dpop: false,
        extra_auth_params: Vec::new(),
    }
}

/// No quirks: the description alone.
fn provider() -> ProviderConfig {
    config()
}

provider_client! {
    /// "Sign in with Hugging Face": FastHTML's `HuggingFaceClient`.
    ///
    /// Scopes `openid profile` (add `email` with
    /// [`with_scopes`](Self::with_scopes) to receive the email address); the user's id is `sub`,
    /// the user name `preferred_username`. The ID token is verified (issuer
    /// `https://huggingface.co`, keys at `/oauth/jwks`) and the user info comes from
    /// `/oauth/userinfo`.
    ///
    /// `with_endpoints(base)` keeps Hugging Face's paths under `base` (and `base` is the issuer).
    ///
    /// ```
    /// use axum_oauth_login::HuggingFaceClient;
    /// let client = HuggingFaceClient::new("client-id", "client-secret")
    ///     .with_scopes(["openid", "profile", "email"]);
    /// assert_eq!(client.provider().oidc.as_ref().unwrap().issuer, "https://huggingface.co");
    /// ```
    HuggingFaceClient
}
