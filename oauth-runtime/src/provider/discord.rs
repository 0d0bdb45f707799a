//! Discord.

use serde_json::Value;

use super::{AuthMethod, Base, Provider, ProviderConfig, scopes};
use crate::UserInfo;

/// Discord's quirks: its user document names things its own way.
#[derive(Debug)]
struct Discord;

impl Provider for Discord {
    fn config(&self) -> ProviderConfig {
        config()
    }

    /// Discord calls the email-verified flag `verified`, the display name `global_name`, and
    /// sends an avatar hash rather than a URL.
    fn fix_user_info(&self, info: &mut UserInfo) {
        let raw = &info.raw;
        info.email_verified =
            info.email.is_some() && raw.get("verified") == Some(&Value::Bool(true));
        if let Some(name) = raw.get("global_name").and_then(Value::as_str) {
            info.name = Some(name.to_owned());
        }
        if info.picture.is_none()
            && let Some(hash) = raw.get("avatar").and_then(Value::as_str)
        {
            info.picture = Some(format!(
                "https://cdn.discordapp.com/avatars/{}/{hash}.png",
                info.ident
            ));
        }
    }
}

fn provider() -> Discord {
    Discord
}

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
        par_url: None,
        require_par: false,
        dpop: false,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discord_verified_flag_is_the_email_verified_flag() {
        let raw = serde_json::json!({"id": "80351110224678912", "email": "nelly@discord.com", "verified": true,
            "username": "nelly", "global_name": "Nelly", "avatar": "8342729096ea3675442027381ff50dfe"});
        let mut info = UserInfo::from_claims("id", raw).unwrap();
        Discord.fix_user_info(&mut info);
        assert!(info.email_verified);
        assert_eq!(info.name.as_deref(), Some("Nelly"));
        assert_eq!(info.username.as_deref(), Some("nelly"));
        assert!(
            info.picture
                .unwrap()
                .ends_with("/80351110224678912/8342729096ea3675442027381ff50dfe.png")
        );

        for verified in [
            serde_json::json!(false),
            serde_json::json!("true"),
            serde_json::Value::Null,
        ] {
            let raw = serde_json::json!({"id": "1", "email": "a@b.c", "verified": verified});
            let mut info = UserInfo::from_claims("id", raw).unwrap();
            Discord.fix_user_info(&mut info);
            assert!(!info.email_verified);
        }
        let mut info =
            UserInfo::from_claims("id", serde_json::json!({"id": "1", "verified": true})).unwrap();
        Discord.fix_user_info(&mut info);
        assert!(!info.email_verified, "no email, nothing verified");
    }
}
