//! GitHub (OAuth 2 apps and GitHub Apps' user tokens).

use serde_json::Value;

use super::{AuthMethod, Base, Provider, ProviderConfig, ProviderFuture, UserApi, scopes, url};
use crate::UserInfo;

/// GitHub's quirks: comma-separated scopes, and emails verified through `/user/emails`.
#[derive(Debug)]
struct GitHub;

impl Provider for GitHub {
    fn config(&self) -> ProviderConfig {
        config()
    }

    /// GitHub separates granted scopes with commas.
    fn granted_scopes(&self, listed: Vec<String>) -> Vec<String> {
        listed
            .iter()
            .flat_map(|scope| scope.split(','))
            .filter(|scope| !scope.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// GitHub's `/user` says nothing about verification; `/user/emails` (scope `user:email`)
    /// does. The public email is kept when it is verified, else the primary verified one is
    /// used. Without the scope, the email stays unverified.
    fn complete_user_info<'a>(
        &'a self,
        info: &'a mut UserInfo,
        api: UserApi<'a>,
    ) -> ProviderFuture<'a, ()> {
        Box::pin(async move {
            info.email_verified = false;
            let Some(mut url) = api.userinfo_url().cloned() else {
                return;
            };
            if let Ok(mut segments) = url.path_segments_mut() {
                segments.pop_if_empty().push("emails");
            }
            let emails = match api.get_json(&url).await {
                Ok(Value::Array(emails)) => emails,
                Ok(_) => return,
                Err(error) => {
                    tracing::debug!(error = %error, "GitHub's email list is unavailable; the email stays unverified");
                    return;
                }
            };
            let verified = |e: &&Value| e.get("verified") == Some(&Value::Bool(true));
            let address = |e: &Value| e.get("email").and_then(Value::as_str).map(str::to_owned);
            if let Some(public) = &info.email
                && emails
                    .iter()
                    .filter(verified)
                    .any(|e| address(e).as_ref() == Some(public))
            {
                info.email_verified = true;
            } else if let Some(primary) = emails
                .iter()
                .filter(verified)
                .find(|e| e.get("primary") == Some(&Value::Bool(true)))
                && let Some(email) = address(primary)
            {
                info.email = Some(email);
                info.email_verified = true;
            }
        })
    }
}

fn provider() -> GitHub {
    GitHub
}

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
        par_url: None,
        require_par: false,
        dpop: false,
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
