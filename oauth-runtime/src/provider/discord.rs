//! Discord.

use super::{AuthMethod, Base, ProviderConfig, scopes};

fn config() -> ProviderConfig {
    ProviderConfig {
        auth_url: super::url("https://discord.com/oauth2/authorize"),
        ..config_at(&Base("https://discord.com".to_owned()))
    }
}

fn config_at(base: &Base) -> ProviderConfig {
    ProviderConfig {
        name: "discord",
        auth_url: base.join("/oauth2/authorize"),
        token_url: base.join("/api/oauth2/token"),
        userinfo_url: Some(base.join("/api/users/@me")),
        revocation_url: Some(base.join("/api/oauth2/token/revoke")),
        end_session_url: None,
        oidc: None,
        scopes: scopes(&["identify", "email"]),
        id_key: "id".to_owned(),
        auth_method: AuthMethod::Basic,
        iss_parameter: false,
        extra_auth_params: Vec::new(),
    }
}

provider_client! {
    /// "Sign in with Discord": FastHTML's `DiscordAppClient`.
    ///
    /// Scopes `identify email`; the user's id is Discord's `id` (a snowflake string), the user
    /// name `username`, the display name `global_name`. Discord's `verified` flag is the
    /// email-verified flag: [`UserInfo::email_verified`](crate::UserInfo::email_verified) is true
    /// only when Discord sends an email and `verified: true`. Tokens can be revoked.
    ///
    /// `with_endpoints(base)` keeps Discord's paths under `base`: `/oauth2/authorize`,
    /// `/api/oauth2/token`, `/api/users/@me`, `/api/oauth2/token/revoke`.
    ///
    /// ```
    /// use axum_oauth_login::DiscordAppClient;
    /// let client = DiscordAppClient::new("1234567890", "client-secret");
    /// assert_eq!(client.id_key(), "id");
    /// assert!(client.provider().revocation_url.is_some());
    /// ```
    DiscordAppClient
}
