//! GitLab (gitlab.com or a self-managed instance; OpenID Connect).

use super::{AuthMethod, Base, OidcConfig, ProviderConfig, scopes};

const BASE: &str = "https://gitlab.com";

fn config() -> ProviderConfig {
    config_at(&Base(BASE.to_owned()))
}

/// GitLab's layout, the same on gitlab.com and on a self-managed instance.
fn config_at(base: &Base) -> ProviderConfig {
    ProviderConfig {
        name: "gitlab",
        auth_url: base.join("/oauth/authorize"),
        token_url: base.join("/oauth/token"),
        userinfo_url: Some(base.join("/oauth/userinfo")),
        revocation_url: Some(base.join("/oauth/revoke")),
        end_session_url: None,
        oidc: Some(OidcConfig {
            issuer: base.as_str().to_owned(),
            jwks_url: base.join("/oauth/discovery/keys"),
            backchannel_logout: false,
        }),
        scopes: scopes(&["openid", "profile", "email"]),
        id_key: "sub".to_owned(),
        auth_method: AuthMethod::Post,
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
    /// "Sign in with GitLab": gitlab.com, or a self-managed instance with
    /// [`with_endpoints`](Self::with_endpoints).
    ///
    /// OpenID Connect with scopes `openid profile email`: the ID token is verified (issuer
    /// `https://gitlab.com`, keys at `/oauth/discovery/keys`) and the user info comes from
    /// `/oauth/userinfo` (so [`UserInfo::raw`](crate::UserInfo::raw) is that answer, without
    /// `groups_direct`, which GitLab puts in the ID token only). The user's id is `sub`, GitLab's
    /// integer user id as a string (`"1234567"`); `email_verified` is GitLab's own flag. Tokens
    /// can be revoked at `/oauth/revoke`.
    ///
    /// `with_endpoints(base)` is the self-managed instance at `base` (`https://gitlab.example.com`,
    /// or with its relative path): the same paths under it, and `base` as the issuer.
    ///
    /// ```
    /// use axum_oauth_login::GitLabAppClient;
    /// let client = GitLabAppClient::new("application-id", "secret");
    /// assert_eq!(client.provider().token_url.as_str(), "https://gitlab.com/oauth/token");
    /// let own = client.with_endpoints("https://gitlab.example.com").unwrap();
    /// assert_eq!(own.provider().oidc.as_ref().unwrap().issuer, "https://gitlab.example.com");
    /// ```
    GitLabAppClient
}
