//! Typed views of what each provider says about the user.
//!
//! [`UserInfo`] has the fields every provider fills (`ident`, `email`, `email_verified`, ...) and
//! the provider's answer as it came in [`UserInfo::raw`]. The types here read that answer with the
//! provider's own names and types: GitHub's integer `id` and `login`, Google's `hd`, Discord's
//! `global_name`, Hugging Face's `orgs`, and so on. Ask the info for its provider's view:
//!
//! | provider | accessor | view |
//! |---|---|---|
//! | GitHub | [`UserInfo::github`] | [`GitHubUser`] (`/user`) |
//! | Google | [`UserInfo::google`] | [`GoogleUser`] (OpenID user info) |
//! | Discord | [`UserInfo::discord`] | [`DiscordUser`] (`/users/@me`) |
//! | Hugging Face | [`UserInfo::huggingface`] | [`HuggingFaceUser`] (`/oauth/userinfo`) |
//! | Apple | [`UserInfo::apple`] | [`AppleUser`] (ID token claims) |
//! | GitLab | [`UserInfo::gitlab`] | [`GitLabUser`] (OpenID user info) |
//! | Microsoft Entra ID | [`UserInfo::entra`] | [`EntraUser`] (ID token claims) |
//! | any OpenID Connect provider | [`UserInfo::oidc`] | [`OidcClaims`] (standard claims) |
//!
//! A view is `None` when the info comes from another provider (see [`UserInfo::provider`]) or
//! when the answer lacks the user's id; [`UserInfo::oidc`] checks no provider and reads any answer
//! with a `sub`. Other fields are lenient: a flag sent as the string `"true"` reads as `true`, an
//! id sent as a number or a string reads the same, and a field of an unexpected type reads as
//! absent rather than spoiling the whole view.
//!
//! Which email address to trust is decided once, in [`UserInfo::email_verified`]: it is true only
//! when the provider says the address is verified. The views show the provider's own flags
//! (`email_verified`, Discord's `verified`) as sent; GitHub's `/user` has no such flag at all.
//!
//! ```
//! use axum_oauth_login::UserInfo;
//! # let info = UserInfo::from_claims("id", serde_json::json!({"id": 1, "login": "octocat"}))
//! #     .unwrap().with_provider("github");
//! # fn allowed(id: u64) -> bool { id == 1 }
//! // In `get_auth`, with `info: &UserInfo`:
//! if let Some(user) = info.github() {
//!     assert!(allowed(user.id));
//! }
//! assert!(info.google().is_none());
//! ```

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::UserInfo;

/// Provider keys, as in [`ProviderConfig::name`](crate::provider::ProviderConfig::name).
mod key {
    pub(super) const GITHUB: &str = "github";
    pub(super) const GOOGLE: &str = "google";
    pub(super) const DISCORD: &str = "discord";
    pub(super) const HUGGINGFACE: &str = "huggingface";
    pub(super) const APPLE: &str = "apple";
    pub(super) const GITLAB: &str = "gitlab";
    pub(super) const ENTRA: &str = "entra";
}

impl UserInfo {
    fn view<T: DeserializeOwned>(&self, provider: &str) -> Option<T> {
        if self.provider != provider {
            return None;
        }
        object(&self.raw)
    }

    /// GitHub's `/user` answer, when the user logged in with GitHub.
    ///
    /// Its `email` is the public profile address, which GitHub does not vouch for; the address to
    /// trust is [`UserInfo::email`] when [`UserInfo::email_verified`] (checked against
    /// `/user/emails`).
    ///
    /// ```
    /// use axum_oauth_login::UserInfo;
    /// let raw = serde_json::json!({
    ///     "login": "octocat", "id": 1, "node_id": "MDQ6VXNlcjE=", "type": "User",
    ///     "site_admin": false, "name": "monalisa octocat", "email": "octocat@github.com",
    /// });
    /// let info = UserInfo::from_claims("id", raw).unwrap().with_provider("github");
    /// let user = info.github().unwrap();
    /// assert_eq!((user.id, user.login.as_str()), (1, "octocat"));
    /// assert_eq!(user.kind.as_deref(), Some("User"));
    /// assert!(!info.email_verified, "`/user` alone proves nothing about the email");
    /// ```
    #[must_use]
    pub fn github(&self) -> Option<GitHubUser> {
        self.view(key::GITHUB)
    }

    /// Google's OpenID user info, when the user logged in with Google.
    ///
    /// ```
    /// use axum_oauth_login::UserInfo;
    /// let raw = serde_json::json!({
    ///     "sub": "110169484474386276334", "email": "ada@example.com", "email_verified": true,
    ///     "hd": "example.com", "name": "Ada Lovelace", "locale": "en",
    /// });
    /// let info = UserInfo::from_claims("sub", raw).unwrap().with_provider("google");
    /// let user = info.google().unwrap();
    /// assert_eq!(user.hd.as_deref(), Some("example.com"));
    /// assert!(user.email_verified);
    /// ```
    #[must_use]
    pub fn google(&self) -> Option<GoogleUser> {
        self.view(key::GOOGLE)
    }

    /// Discord's `/users/@me` answer, when the user logged in with Discord.
    ///
    /// ```
    /// use axum_oauth_login::UserInfo;
    /// let raw = serde_json::json!({
    ///     "id": "80351110224678912", "username": "nelly", "global_name": "Nelly",
    ///     "discriminator": "0", "email": "nelly@discord.com", "verified": true,
    /// });
    /// let info = UserInfo::from_claims("id", raw).unwrap().with_provider("discord");
    /// let user = info.discord().unwrap();
    /// assert_eq!(user.id, "80351110224678912");
    /// assert_eq!(user.display_name(), "Nelly");
    /// assert!(user.verified);
    /// ```
    #[must_use]
    pub fn discord(&self) -> Option<DiscordUser> {
        self.view(key::DISCORD)
    }

    /// Hugging Face's OpenID user info, when the user logged in with Hugging Face.
    ///
    /// ```
    /// use axum_oauth_login::UserInfo;
    /// let raw = serde_json::json!({
    ///     "sub": "62f264b9f3c90f4b6514a269", "preferred_username": "ada", "isPro": true,
    ///     "orgs": [{ "sub": "5e67bd5b1009063689407478", "preferred_username": "answerdotai",
    ///                "isEnterprise": true, "roleInOrg": "admin" }],
    /// });
    /// let info = UserInfo::from_claims("sub", raw).unwrap().with_provider("huggingface");
    /// let user = info.huggingface().unwrap();
    /// assert!(user.is_pro);
    /// assert!(user.orgs.iter().any(|org| org.preferred_username.as_deref() == Some("answerdotai")));
    /// ```
    #[must_use]
    pub fn huggingface(&self) -> Option<HuggingFaceUser> {
        self.view(key::HUGGINGFACE)
    }

    /// Apple's ID token claims, when the user signed in with Apple.
    ///
    /// ```
    /// use axum_oauth_login::UserInfo;
    /// let raw = serde_json::json!({
    ///     "sub": "001234.abcdef0123456789.0123", "email": "x2f7@privaterelay.appleid.com",
    ///     "email_verified": "true", "is_private_email": "true", "real_user_status": 2,
    /// });
    /// let info = UserInfo::from_claims("sub", raw).unwrap().with_provider("apple");
    /// let user = info.apple().unwrap();
    /// assert!(user.email_verified && user.is_private_email);
    /// assert!(info.email_verified);
    /// ```
    #[must_use]
    pub fn apple(&self) -> Option<AppleUser> {
        self.view(key::APPLE)
    }

    /// GitLab's OpenID user info, when the user logged in with GitLab.
    ///
    /// ```
    /// use axum_oauth_login::UserInfo;
    /// let raw = serde_json::json!({
    ///     "sub": "1234567", "nickname": "ada", "email": "ada@example.com",
    ///     "email_verified": true, "groups": ["answerdotai", "answerdotai/team"],
    /// });
    /// let info = UserInfo::from_claims("sub", raw).unwrap().with_provider("gitlab");
    /// let user = info.gitlab().unwrap();
    /// assert_eq!(user.nickname.as_deref(), Some("ada"));
    /// assert!(user.groups.iter().any(|g| g == "answerdotai"));
    /// ```
    #[must_use]
    pub fn gitlab(&self) -> Option<GitLabUser> {
        self.view(key::GITLAB)
    }

    /// Microsoft Entra ID's ID token claims, when the user signed in with Entra ID.
    ///
    /// ```
    /// use axum_oauth_login::UserInfo;
    /// let raw = serde_json::json!({
    ///     "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
    ///     "oid": "00000000-0000-0000-66f3-3332eca7ea81",
    ///     "tid": "9122040d-6c67-4c5b-b112-36a304b66dad",
    ///     "preferred_username": "AbeLi@microsoft.com", "name": "Abe Lincoln",
    /// });
    /// let info = UserInfo::from_claims("sub", raw).unwrap().with_provider("entra");
    /// let user = info.entra().unwrap();
    /// assert_eq!(user.tid.as_deref(), Some("9122040d-6c67-4c5b-b112-36a304b66dad"));
    /// assert!(!user.is_personal_account());
    /// ```
    #[must_use]
    pub fn entra(&self) -> Option<EntraUser> {
        self.view(key::ENTRA)
    }

    /// The standard claims (OpenID Connect Core 5.1), whichever OpenID Connect provider answered
    /// (Google, Hugging Face, Apple, GitLab, Entra ID, Auth0, a discovered issuer, the development
    /// provider). `None` when the answer has no `sub`, as GitHub's and Discord's do not.
    ///
    /// ```
    /// use axum_oauth_login::UserInfo;
    /// let raw = serde_json::json!({
    ///     "sub": "248289761001", "name": "Jane Doe", "preferred_username": "j.doe",
    ///     "email": "janedoe@example.com", "email_verified": false,
    ///     "address": { "locality": "Anytown", "country": "US" },
    /// });
    /// let info = UserInfo::from_claims("sub", raw).unwrap().with_provider("oidc");
    /// let claims = info.oidc().unwrap();
    /// assert_eq!(claims.preferred_username.as_deref(), Some("j.doe"));
    /// assert_eq!(claims.address.unwrap().country.as_deref(), Some("US"));
    /// assert!(!claims.email_verified && !info.email_verified);
    /// ```
    #[must_use]
    pub fn oidc(&self) -> Option<OidcClaims> {
        object(&self.raw)
    }
}

/// `raw` read as `T` if it is a JSON object: serde would also fill a struct from an array, by
/// position.
fn object<T: DeserializeOwned>(raw: &Value) -> Option<T> {
    if !raw.is_object() {
        return None;
    }
    T::deserialize(raw).ok()
}

/// GitHub's authenticated user (`GET /user`), as far as identity goes; the rest stays in
/// [`UserInfo::raw`].
///
/// GitHub's `/user` carries no email-verified flag: its `email` is the public profile address.
///
/// ```
/// let user: axum_oauth_login::profile::GitHubUser = serde_json::from_value(serde_json::json!({
///     "login": "octocat", "id": "1", "site_admin": "false",
/// })).unwrap();
/// assert_eq!(user.id, 1);
/// assert!(!user.site_admin);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GitHubUser {
    /// The user's id: stable across renames, unlike `login`.
    #[serde(deserialize_with = "de::id_u64")]
    pub id: u64,
    /// The user name (`octocat`). It can change: key your data on `id`.
    #[serde(deserialize_with = "de::id_string")]
    pub login: String,
    /// The GraphQL node id.
    #[serde(default, deserialize_with = "de::lenient")]
    pub node_id: Option<String>,
    /// The display name.
    #[serde(default, deserialize_with = "de::lenient")]
    pub name: Option<String>,
    /// The public profile email, if the user set one. Not verified by GitHub's `/user`.
    #[serde(default, deserialize_with = "de::lenient")]
    pub email: Option<String>,
    /// The avatar URL.
    #[serde(default, deserialize_with = "de::lenient")]
    pub avatar_url: Option<String>,
    /// The profile page (`https://github.com/octocat`).
    #[serde(default, deserialize_with = "de::lenient")]
    pub html_url: Option<String>,
    /// The company in the profile.
    #[serde(default, deserialize_with = "de::lenient")]
    pub company: Option<String>,
    /// The blog or website in the profile.
    #[serde(default, deserialize_with = "de::lenient")]
    pub blog: Option<String>,
    /// The location in the profile.
    #[serde(default, deserialize_with = "de::lenient")]
    pub location: Option<String>,
    /// The bio in the profile.
    #[serde(default, deserialize_with = "de::lenient")]
    pub bio: Option<String>,
    /// The account type: `User` or `Organization` (GitHub's `type`).
    #[serde(default, rename = "type", deserialize_with = "de::lenient")]
    pub kind: Option<String>,
    /// True for GitHub staff.
    #[serde(default, deserialize_with = "de::flag")]
    pub site_admin: bool,
    /// When the account was created (RFC 3339).
    #[serde(default, deserialize_with = "de::lenient")]
    pub created_at: Option<String>,
}

/// Google's OpenID user info (or ID token claims).
///
/// ```
/// let user: axum_oauth_login::profile::GoogleUser = serde_json::from_value(serde_json::json!({
///     "sub": "110169484474386276334", "email": "ada@gmail.com", "email_verified": "false",
/// })).unwrap();
/// assert!(!user.email_verified);
/// assert_eq!(user.hd, None, "no Workspace domain for a consumer account");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GoogleUser {
    /// The user's id, unique among Google accounts and never reused.
    #[serde(deserialize_with = "de::id_string")]
    pub sub: String,
    /// The email address (scope `email`). Not unique over time: key your data on `sub`.
    #[serde(default, deserialize_with = "de::lenient")]
    pub email: Option<String>,
    /// True when Google has verified the address.
    #[serde(default, deserialize_with = "de::flag")]
    pub email_verified: bool,
    /// The Google Workspace domain of the account; absent for consumer accounts. To admit one
    /// organisation, check this together with a verified email, not the email's domain alone.
    #[serde(default, deserialize_with = "de::lenient")]
    pub hd: Option<String>,
    /// The full name (scope `profile`).
    #[serde(default, deserialize_with = "de::lenient")]
    pub name: Option<String>,
    /// The given name.
    #[serde(default, deserialize_with = "de::lenient")]
    pub given_name: Option<String>,
    /// The family name.
    #[serde(default, deserialize_with = "de::lenient")]
    pub family_name: Option<String>,
    /// The profile picture URL.
    #[serde(default, deserialize_with = "de::lenient")]
    pub picture: Option<String>,
    /// The locale (BCP 47).
    #[serde(default, deserialize_with = "de::lenient")]
    pub locale: Option<String>,
}

/// Discord's user object (`GET /users/@me`).
///
/// ```
/// let user: axum_oauth_login::profile::DiscordUser = serde_json::from_value(serde_json::json!({
///     "id": 80351110224678912_u64, "username": "nelly", "global_name": null,
///     "avatar": "8342729096ea3675442027381ff50dfe",
/// })).unwrap();
/// assert_eq!(user.id, "80351110224678912");
/// assert_eq!(user.display_name(), "nelly");
/// assert_eq!(
///     user.avatar_url().as_deref(),
///     Some("https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png"),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DiscordUser {
    /// The user's id, a snowflake, as a decimal string.
    #[serde(deserialize_with = "de::id_string")]
    pub id: String,
    /// The user name (unique since Discord's 2023 username change).
    #[serde(deserialize_with = "de::id_string")]
    pub username: String,
    /// The display name, if set.
    #[serde(default, deserialize_with = "de::lenient")]
    pub global_name: Option<String>,
    /// The legacy tag (`"0"` for migrated users).
    #[serde(default, deserialize_with = "de::lenient")]
    pub discriminator: Option<String>,
    /// The avatar hash; see [`avatar_url`](Self::avatar_url).
    #[serde(default, deserialize_with = "de::lenient")]
    pub avatar: Option<String>,
    /// The email address (scope `email`).
    #[serde(default, deserialize_with = "de::lenient")]
    pub email: Option<String>,
    /// Discord's email-verified flag (scope `email`). Only a JSON `true` counts, as in the login
    /// (Discord documents a boolean).
    #[serde(default, deserialize_with = "de::strict_flag")]
    pub verified: bool,
    /// True when the user has two-factor authentication on.
    #[serde(default, deserialize_with = "de::flag")]
    pub mfa_enabled: bool,
    /// True for bot accounts.
    #[serde(default, deserialize_with = "de::flag")]
    pub bot: bool,
    /// The chosen language.
    #[serde(default, deserialize_with = "de::lenient")]
    pub locale: Option<String>,
    /// The Nitro subscription type (0 none, 1 Classic, 2 Nitro, 3 Basic).
    #[serde(default, deserialize_with = "de::lenient")]
    pub premium_type: Option<u8>,
}

impl DiscordUser {
    /// The display name if set, else the user name.
    ///
    /// ```
    /// let user: axum_oauth_login::profile::DiscordUser =
    ///     serde_json::from_value(serde_json::json!({"id": "1", "username": "nelly", "global_name": "Nelly"}))
    ///         .unwrap();
    /// assert_eq!(user.display_name(), "Nelly");
    /// ```
    #[must_use]
    pub fn display_name(&self) -> &str {
        self.global_name.as_deref().unwrap_or(&self.username)
    }

    /// The avatar's CDN URL (PNG), when the user has one.
    ///
    /// ```
    /// let user: axum_oauth_login::profile::DiscordUser =
    ///     serde_json::from_value(serde_json::json!({"id": "1", "username": "nelly"})).unwrap();
    /// assert_eq!(user.avatar_url(), None);
    /// ```
    #[must_use]
    pub fn avatar_url(&self) -> Option<String> {
        let hash = self.avatar.as_deref()?;
        Some(format!(
            "https://cdn.discordapp.com/avatars/{}/{hash}.png",
            self.id
        ))
    }
}

/// Hugging Face's OpenID user info (`/oauth/userinfo`), with its own `isPro`, `canPay` and `orgs`.
///
/// ```
/// let user: axum_oauth_login::profile::HuggingFaceUser = serde_json::from_value(serde_json::json!({
///     "sub": "62f264b9f3c90f4b6514a269", "name": "Ada", "preferred_username": "ada",
///     "picture": "https://cdn-avatars.huggingface.co/ada.png", "isPro": false,
/// })).unwrap();
/// assert_eq!(user.preferred_username.as_deref(), Some("ada"));
/// assert!(user.orgs.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HuggingFaceUser {
    /// The user's id, kept across renames.
    #[serde(deserialize_with = "de::id_string")]
    pub sub: String,
    /// The user name (the handle in `huggingface.co/{name}`).
    #[serde(default, deserialize_with = "de::lenient")]
    pub preferred_username: Option<String>,
    /// The full name.
    #[serde(default, deserialize_with = "de::lenient")]
    pub name: Option<String>,
    /// The profile page URL.
    #[serde(default, deserialize_with = "de::lenient")]
    pub profile: Option<String>,
    /// The avatar URL.
    #[serde(default, deserialize_with = "de::lenient")]
    pub picture: Option<String>,
    /// The website in the profile.
    #[serde(default, deserialize_with = "de::lenient")]
    pub website: Option<String>,
    /// The email address (scope `email`).
    #[serde(default, deserialize_with = "de::lenient")]
    pub email: Option<String>,
    /// True when Hugging Face has verified the address (scope `email`).
    #[serde(default, deserialize_with = "de::flag")]
    pub email_verified: bool,
    /// True for a PRO subscription.
    #[serde(default, rename = "isPro", deserialize_with = "de::flag")]
    pub is_pro: bool,
    /// Whether a payment method is set up (scope `read-billing`); `None` when not sent.
    #[serde(default, rename = "canPay", deserialize_with = "de::lenient")]
    pub can_pay: Option<bool>,
    /// The organisations the user granted the app access to.
    #[serde(default, deserialize_with = "de::lenient_vec")]
    pub orgs: Vec<HuggingFaceOrg>,
}

/// One organisation in [`HuggingFaceUser::orgs`].
///
/// ```
/// let org: axum_oauth_login::profile::HuggingFaceOrg = serde_json::from_value(serde_json::json!({
///     "sub": "5e67bd5b1009063689407478", "preferred_username": "answerdotai",
///     "isEnterprise": true, "roleInOrg": "write",
/// })).unwrap();
/// assert_eq!(org.role_in_org.as_deref(), Some("write"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HuggingFaceOrg {
    /// The organisation's id.
    #[serde(deserialize_with = "de::id_string")]
    pub sub: String,
    /// The organisation's handle.
    #[serde(default, deserialize_with = "de::lenient")]
    pub preferred_username: Option<String>,
    /// The organisation's full name.
    #[serde(default, deserialize_with = "de::lenient")]
    pub name: Option<String>,
    /// The organisation's avatar URL.
    #[serde(default, deserialize_with = "de::lenient")]
    pub picture: Option<String>,
    /// True for an Enterprise Hub organisation.
    #[serde(default, rename = "isEnterprise", deserialize_with = "de::flag")]
    pub is_enterprise: bool,
    /// The user's role: `admin`, `write`, `contributor` or `read`.
    #[serde(default, rename = "roleInOrg", deserialize_with = "de::lenient")]
    pub role_in_org: Option<String>,
    /// True when the user must still complete the organisation's single sign-on.
    #[serde(default, rename = "pendingSSO", deserialize_with = "de::flag")]
    pub pending_sso: bool,
    /// True when the user must still turn on two-factor authentication for the organisation.
    #[serde(default, rename = "missingMFA", deserialize_with = "de::flag")]
    pub missing_mfa: bool,
}

/// Sign in with Apple's ID token claims.
///
/// Apple sends `email_verified` and `is_private_email` as booleans or as the strings `"true"` and
/// `"false"`; both read as `bool` here. The user's name is not a claim: Apple posts it to the
/// callback on the first login only, and the login puts it in [`UserInfo::name`] then.
///
/// ```
/// let user: axum_oauth_login::profile::AppleUser = serde_json::from_value(serde_json::json!({
///     "sub": "001234.abcdef0123456789.0123", "email": "ada@example.com",
///     "email_verified": true, "is_private_email": "false",
/// })).unwrap();
/// assert!(user.email_verified);
/// assert!(!user.is_private_email);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AppleUser {
    /// The user's id, stable for your developer team.
    #[serde(deserialize_with = "de::id_string")]
    pub sub: String,
    /// The email address: the real one or a private relay address (scope `email`).
    #[serde(default, deserialize_with = "de::lenient")]
    pub email: Option<String>,
    /// True when Apple has verified the address.
    #[serde(default, deserialize_with = "de::flag")]
    pub email_verified: bool,
    /// True when `email` is a private relay address (`@privaterelay.appleid.com`).
    #[serde(default, deserialize_with = "de::flag")]
    pub is_private_email: bool,
    /// Apple's guess that this is a real person: 0 unsupported, 1 unknown, 2 likely real.
    #[serde(default, deserialize_with = "de::lenient")]
    pub real_user_status: Option<u8>,
    /// The user's id under the team the app was transferred from, during an app transfer.
    #[serde(default, deserialize_with = "de::lenient")]
    pub transfer_sub: Option<String>,
}

/// GitLab's OpenID user info (`/oauth/userinfo`), with its group claims.
///
/// ```
/// let user: axum_oauth_login::profile::GitLabUser = serde_json::from_value(serde_json::json!({
///     "sub": 1234567, "nickname": "ada", "email_verified": false,
///     "https://gitlab.org/claims/groups/owner": ["answerdotai"],
/// })).unwrap();
/// assert_eq!(user.sub, "1234567");
/// assert_eq!(user.owner_of, ["answerdotai"]);
/// assert!(!user.email_verified);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GitLabUser {
    /// The user's id.
    #[serde(deserialize_with = "de::id_string")]
    pub sub: String,
    /// The user name (`gitlab.com/{nickname}`).
    #[serde(default, deserialize_with = "de::lenient")]
    pub nickname: Option<String>,
    /// The user name again, under its standard name.
    #[serde(default, deserialize_with = "de::lenient")]
    pub preferred_username: Option<String>,
    /// The full name.
    #[serde(default, deserialize_with = "de::lenient")]
    pub name: Option<String>,
    /// The primary email address with scope `email`, else the public one.
    #[serde(default, deserialize_with = "de::lenient")]
    pub email: Option<String>,
    /// True when GitLab has verified the address.
    #[serde(default, deserialize_with = "de::flag")]
    pub email_verified: bool,
    /// The profile page URL.
    #[serde(default, deserialize_with = "de::lenient")]
    pub profile: Option<String>,
    /// The avatar URL.
    #[serde(default, deserialize_with = "de::lenient")]
    pub picture: Option<String>,
    /// The website in the profile.
    #[serde(default, deserialize_with = "de::lenient")]
    pub website: Option<String>,
    /// Paths of the groups the user belongs to, directly or through a parent group.
    #[serde(default, deserialize_with = "de::lenient_vec")]
    pub groups: Vec<String>,
    /// Paths of the groups the user is a direct member of. GitLab sends this claim in the ID
    /// token only, not from `/oauth/userinfo`, whose answer is what the login keeps: empty after
    /// a login with GitLab itself; use [`groups`](Self::groups).
    #[serde(default, deserialize_with = "de::lenient_vec")]
    pub groups_direct: Vec<String>,
    /// Groups where the user is a direct member with the Owner role.
    #[serde(
        default,
        rename = "https://gitlab.org/claims/groups/owner",
        deserialize_with = "de::lenient_vec"
    )]
    pub owner_of: Vec<String>,
    /// Groups where the user is a direct member with the Maintainer role.
    #[serde(
        default,
        rename = "https://gitlab.org/claims/groups/maintainer",
        deserialize_with = "de::lenient_vec"
    )]
    pub maintainer_of: Vec<String>,
    /// Groups where the user is a direct member with the Developer role.
    #[serde(
        default,
        rename = "https://gitlab.org/claims/groups/developer",
        deserialize_with = "de::lenient_vec"
    )]
    pub developer_of: Vec<String>,
}

/// Microsoft Entra ID's ID token claims (v2.0 endpoint).
///
/// Entra ID sends no `email_verified`, and a tenant can type any address into `email`:
/// [`UserInfo::email_verified`] is true only with the optional claim `xms_edov` (email domain
/// owner verified). Identify users by `oid` and `tid` (or `sub`), not by email.
///
/// ```
/// let user: axum_oauth_login::profile::EntraUser = serde_json::from_value(serde_json::json!({
///     "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
///     "oid": "00000000-0000-0000-66f3-3332eca7ea81",
///     "tid": "9188040d-6c67-4c5b-b112-36a304b66dad",
///     "preferred_username": "abe@outlook.com",
/// })).unwrap();
/// assert!(user.is_personal_account());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EntraUser {
    /// The user's id for this application (pairwise: differs between applications).
    #[serde(deserialize_with = "de::id_string")]
    pub sub: String,
    /// The user's object id, the same across the applications of a tenant.
    #[serde(default, deserialize_with = "de::lenient")]
    pub oid: Option<String>,
    /// The tenant the user signed in from (`9188040d-6c67-4c5b-b112-36a304b66dad` for personal
    /// Microsoft accounts).
    #[serde(default, deserialize_with = "de::lenient")]
    pub tid: Option<String>,
    /// The sign-in name (often an email address or a phone number). Mutable and not verified:
    /// do not base authorization on it.
    #[serde(default, deserialize_with = "de::lenient")]
    pub preferred_username: Option<String>,
    /// The display name.
    #[serde(default, deserialize_with = "de::lenient")]
    pub name: Option<String>,
    /// The email address, when the app asks for the optional `email` claim. Not verified unless
    /// `xms_edov` says so.
    #[serde(default, deserialize_with = "de::lenient")]
    pub email: Option<String>,
    /// The optional claim "email domain owner verified": true when the tenant owns the domain of
    /// `email` and has verified it.
    #[serde(default, deserialize_with = "de::flag")]
    pub xms_edov: bool,
    /// The app roles assigned to the user in this tenant.
    #[serde(default, deserialize_with = "de::lenient_vec")]
    pub roles: Vec<String>,
}

impl EntraUser {
    /// The tenant of personal Microsoft accounts (outlook.com, xbox.com, ...).
    ///
    /// ```
    /// use axum_oauth_login::profile::EntraUser;
    /// assert_eq!(EntraUser::PERSONAL_TENANT.len(), 36);
    /// ```
    pub const PERSONAL_TENANT: &'static str = "9188040d-6c67-4c5b-b112-36a304b66dad";

    /// True when the user signed in with a personal Microsoft account rather than a work or school
    /// account.
    ///
    /// ```
    /// use axum_oauth_login::profile::EntraUser;
    /// let user: EntraUser = serde_json::from_value(serde_json::json!({
    ///     "sub": "x", "tid": EntraUser::PERSONAL_TENANT,
    /// })).unwrap();
    /// assert!(user.is_personal_account());
    /// ```
    #[must_use]
    pub fn is_personal_account(&self) -> bool {
        self.tid.as_deref() == Some(Self::PERSONAL_TENANT)
    }
}

/// The standard claims of OpenID Connect Core 5.1, as any OpenID Connect provider sends them.
///
/// ```
/// let claims: axum_oauth_login::profile::OidcClaims = serde_json::from_value(serde_json::json!({
///     "sub": "248289761001", "email": "janedoe@example.com", "email_verified": "true",
///     "phone_number": "+1 (425) 555-1212", "updated_at": 1311280970,
/// })).unwrap();
/// assert!(claims.email_verified);
/// assert!(!claims.phone_number_verified);
/// assert_eq!(claims.updated_at, Some(1311280970));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OidcClaims {
    /// The user's id at the issuer.
    #[serde(deserialize_with = "de::id_string")]
    pub sub: String,
    /// The full name.
    #[serde(default, deserialize_with = "de::lenient")]
    pub name: Option<String>,
    /// The given name.
    #[serde(default, deserialize_with = "de::lenient")]
    pub given_name: Option<String>,
    /// The family name.
    #[serde(default, deserialize_with = "de::lenient")]
    pub family_name: Option<String>,
    /// The middle name.
    #[serde(default, deserialize_with = "de::lenient")]
    pub middle_name: Option<String>,
    /// A casual name.
    #[serde(default, deserialize_with = "de::lenient")]
    pub nickname: Option<String>,
    /// The name the user prefers to be known by. Not guaranteed unique: key your data on `sub`.
    #[serde(default, deserialize_with = "de::lenient")]
    pub preferred_username: Option<String>,
    /// The profile page URL.
    #[serde(default, deserialize_with = "de::lenient")]
    pub profile: Option<String>,
    /// The picture URL.
    #[serde(default, deserialize_with = "de::lenient")]
    pub picture: Option<String>,
    /// The website.
    #[serde(default, deserialize_with = "de::lenient")]
    pub website: Option<String>,
    /// The email address.
    #[serde(default, deserialize_with = "de::lenient")]
    pub email: Option<String>,
    /// True when the issuer says the address is verified.
    #[serde(default, deserialize_with = "de::flag")]
    pub email_verified: bool,
    /// The gender.
    #[serde(default, deserialize_with = "de::lenient")]
    pub gender: Option<String>,
    /// The birthday (`YYYY-MM-DD`, or `YYYY` or `0000-MM-DD`).
    #[serde(default, deserialize_with = "de::lenient")]
    pub birthdate: Option<String>,
    /// The time zone (`Europe/Paris`).
    #[serde(default, deserialize_with = "de::lenient")]
    pub zoneinfo: Option<String>,
    /// The locale (BCP 47).
    #[serde(default, deserialize_with = "de::lenient")]
    pub locale: Option<String>,
    /// The phone number.
    #[serde(default, deserialize_with = "de::lenient")]
    pub phone_number: Option<String>,
    /// True when the issuer says the phone number is verified.
    #[serde(default, deserialize_with = "de::flag")]
    pub phone_number_verified: bool,
    /// The postal address.
    #[serde(default, deserialize_with = "de::lenient")]
    pub address: Option<Address>,
    /// When the profile was last updated (Unix seconds).
    #[serde(default, deserialize_with = "de::lenient")]
    pub updated_at: Option<i64>,
}

/// The `address` claim (OpenID Connect Core 5.1.1).
///
/// ```
/// let address: axum_oauth_login::profile::Address = serde_json::from_value(serde_json::json!({
///     "street_address": "1234 Hollywood Blvd.", "locality": "Los Angeles", "region": "CA",
///     "postal_code": "90210", "country": "US",
/// })).unwrap();
/// assert_eq!(address.postal_code.as_deref(), Some("90210"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Address {
    /// The full address, for display.
    #[serde(default, deserialize_with = "de::lenient")]
    pub formatted: Option<String>,
    /// The street address.
    #[serde(default, deserialize_with = "de::lenient")]
    pub street_address: Option<String>,
    /// The city.
    #[serde(default, deserialize_with = "de::lenient")]
    pub locality: Option<String>,
    /// The state or region.
    #[serde(default, deserialize_with = "de::lenient")]
    pub region: Option<String>,
    /// The postal code.
    #[serde(default, deserialize_with = "de::lenient")]
    pub postal_code: Option<String>,
    /// The country.
    #[serde(default, deserialize_with = "de::lenient")]
    pub country: Option<String>,
}

/// The lenient readers behind the views.
mod de {
    use super::{Deserialize, DeserializeOwned, Deserializer, Value};
    use crate::userinfo::is_true;
    use serde::de::Error as _;

    /// See [`is_true`]; null or a wrong type is false rather than an error.
    pub(super) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        Ok(is_true(&Value::deserialize(d)?))
    }

    /// Only a JSON `true` is a yes.
    pub(super) fn strict_flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        Ok(Value::deserialize(d)? == Value::Bool(true))
    }

    /// `T` if the value is one, else `None`: a stray type loses the field, not the view.
    pub(super) fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: DeserializeOwned,
    {
        Ok(T::deserialize(Value::deserialize(d)?).ok())
    }

    /// The elements that are `T`, skipping the others; anything but an array is empty.
    pub(super) fn lenient_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: DeserializeOwned,
    {
        Ok(match Value::deserialize(d)? {
            Value::Array(items) => items
                .into_iter()
                .filter_map(|item| T::deserialize(item).ok())
                .collect(),
            _ => Vec::new(),
        })
    }

    /// A non-empty string, or an integer as its decimal string (ids are sent both ways).
    pub(super) fn id_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) if !s.is_empty() => Ok(s),
            Value::Number(n) if n.is_u64() || n.is_i64() => Ok(n.to_string()),
            _ => Err(D::Error::custom(
                "expected a non-empty string or an integer",
            )),
        }
    }

    /// A non-negative integer, or its decimal string.
    pub(super) fn id_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
        .ok_or_else(|| D::Error::custom("expected a non-negative integer"))
    }
}

#[cfg(test)]
mod tests;
