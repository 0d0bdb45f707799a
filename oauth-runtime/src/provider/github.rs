//! GitHub (OAuth 2 apps and GitHub Apps' user tokens).

use super::{AuthMethod, Base, ProviderConfig, scopes, url};

fn config() -> ProviderConfig {
    ProviderConfig {
        name: "github",
        auth_url: url("https://github.com/login/oauth/authorize"),
        token_url: url("https://github.com/login/oauth/access_token"),
        userinfo_url: Some(url("https://api.github.com/user")),
        revocation_url: None,
        end_session_url: None,
        oidc: None,
        scopes: scopes(&["read:user", "user:email"]),
        id_key: "id".to_owned(),
        auth_method: AuthMethod::Post,
        iss_parameter: false,
        extra_auth_params: Vec::new(),
    }
}

/// GitHub Enterprise Server's layout: the web host serves the API under `/api/v3`.
fn config_at(base: &Base) -> ProviderConfig {
    ProviderConfig {
        auth_url: base.join("/login/oauth/authorize"),
        token_url: base.join("/login/oauth/access_token"),
        userinfo_url: Some(base.join("/api/v3/user")),
        ..config()
    }
}

provider_client! {
    /// "Sign in with GitHub": FastHTML's `GitHubAppClient`.
    ///
    /// Scopes `read:user user:email`; the user's id is GitHub's integer `id` (as a decimal
    /// string in [`UserInfo::ident`](crate::UserInfo::ident)), the user name its `login`. The
    /// email is marked verified only when GitHub's `/user/emails` says so (the scope `user:email`
    /// allows reading it): the public email if verified, else the primary verified one. GitHub
    /// issues no ID token and offers no RFC 7009 revocation.
    ///
    /// `with_endpoints(base)` follows GitHub Enterprise Server: `{base}/login/oauth/authorize`,
    /// `{base}/login/oauth/access_token` and the API at `{base}/api/v3`.
    ///
    /// ```
    /// use axum_oauth_login::GitHubAppClient;
    /// let client = GitHubAppClient::new("Iv1.0123456789abcdef", "client-secret");
    /// assert_eq!(client.id_key(), "id");
    /// let enterprise = client.with_endpoints("https://github.example.com").unwrap();
    /// assert_eq!(
    ///     enterprise.provider().userinfo_url.as_ref().unwrap().as_str(),
    ///     "https://github.example.com/api/v3/user",
    /// );
    /// ```
    GitHubAppClient
}
