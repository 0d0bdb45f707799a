//! Log in with Google, GitHub, Hugging Face, Discord or any OpenID Connect provider in an Axum app.
//!
//! A port of FastHTML's OAuth helpers: `#[oauth]` on a struct generates the callback and logout
//! routes, the guard and the session handling; `#[get_auth]` on a function decides who gets in.
//! Tokens live in each user's session, `state` is verified, PKCE is always on.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
// docs.rs (`--cfg docsrs`, nightly): a badge on each item that needs a feature.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod app;
pub mod audit;
mod autopost;
mod backchannel;
pub mod client;
mod client_key;
#[cfg(feature = "conformance")]
#[cfg_attr(docsrs, doc(cfg(feature = "conformance")))]
pub mod conformance;
#[cfg(feature = "dev-provider")]
#[cfg_attr(docsrs, doc(cfg(feature = "dev-provider")))]
pub mod dev;
mod dpop;
pub mod error;
mod extract;
mod flow;
mod guard;
pub mod hooks;
mod http;
mod install;
mod jwks;
pub mod manual;
pub mod paths;
mod plumbing;
pub mod profile;
pub mod provider;
mod ratelimit;
mod readiness;
mod routes;
mod schema;
mod session;
mod spec;
mod state;
mod stepup;
pub mod store;
mod telemetry;
mod tls;
mod url;
mod userinfo;
mod vault;

pub use app::{AddedBeforeInstall, GuardedApp};
pub use axum_oauth_login_macros::{check_invalid, get_auth, logout, oauth};
pub use client::Client;
pub use client_key::ClientKey;
pub use error::Error;
pub use extract::{Ident, Login, UserTokens};
pub use install::OAuthBuilder;
pub use provider::{
    AppleAppClient, Auth0AppClient, DiscordAppClient, EntraAppClient, GitHubAppClient,
    GitLabAppClient, GoogleAppClient, HuggingFaceClient, OidcClient,
};
pub use ratelimit::RateLimit;
pub use session::SessionCookie;
pub use stepup::StepUp;
pub use telemetry::describe_metrics;
pub use tower_sessions::Session;
/// The session cookie's `SameSite` attribute, for [`SessionCookie::same_site`].
pub use tower_sessions::cookie::SameSite;
pub use userinfo::{Tokens, UserInfo};

/// Implemented by `#[oauth]` for the user's auth struct.
///
/// ```
/// use axum_oauth_login::{OAuth, oauth};
///
/// #[oauth(provider = "github", skip = [r"/static/.*"])]
/// struct Auth;
///
/// assert_eq!(<Auth as OAuth>::CONFIG.provider, "github");
/// assert_eq!(<Auth as OAuth>::CONFIG.redirect, "/redirect");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an auth struct",
    label = "add `#[oauth(provider = \"...\")]` to the struct `{Self}`",
    note = "for example: `#[oauth(provider = \"github\")] struct {Self};`"
)]
pub trait OAuth: Sized + Send + Sync + 'static {
    /// The paths and patterns given to `#[oauth]`.
    #[doc(hidden)]
    const CONFIG: hooks::Config;
    /// The optional hooks of this struct.
    #[doc(hidden)]
    fn hooks() -> plumbing::Hooks<Self>;

    /// Installs this auth on `router` with `client` and the defaults: FastHTML's
    /// `oauth = Auth(app, client)`. See [`OAuthBuilder`] for the settings.
    ///
    /// ```
    /// use axum::{Router, response::Redirect, routing::get};
    /// use axum_oauth_login::{GuardedApp, OAuth, UserInfo, dev::DevProvider, get_auth, oauth};
    ///
    /// #[oauth(provider = "dev")]
    /// struct Auth;
    ///
    /// #[get_auth]
    /// fn get_auth(info: &UserInfo) -> Option<Redirect> {
    ///     info.email_verified.then(|| Redirect::to("/"))
    /// }
    ///
    /// let client = DevProvider::new("http://localhost:8000").unwrap().client();
    /// let app: GuardedApp = Auth.install(Router::new().route("/", get(|| async { "home" })), client);
    /// ```
    fn install(self, router: axum::Router, client: impl Into<Client>) -> GuardedApp
    where
        Self: hooks::GetAuth,
    {
        OAuthBuilder::new(self, client).install(router)
    }

    /// Starts configuring the installation (session store, public URL, cookies).
    fn builder(self, client: impl Into<Client>) -> OAuthBuilder<Self>
    where
        Self: hooks::GetAuth,
    {
        OAuthBuilder::new(self, client)
    }
}

/// The names most apps need: `use axum_oauth_login::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Error, GuardedApp, Ident, Login, OAuth, OAuthBuilder, Session, SessionCookie, Tokens,
        UserInfo, UserTokens, check_invalid, get_auth, logout, oauth,
    };
}

/// Items the macros' expansions name. Not part of the public API: it may change in any release.
/// The suffix is the plumbing's version: `axum-oauth-login-macros` is pinned to the same release
/// (`=` in its dependency line), and a mismatch fails to compile with "could not find
/// `__private_v0_1`" rather than with an obscure error inside the expansion.
#[doc(hidden)]
pub mod __private_v0_1 {
    pub use crate::OAuth;
    pub use crate::hooks::{
        AuthContext, AuthParam, BoxFuture, CheckInvalid, Config, Decision, GetAuth, GuardContext,
        IdentParam, InfoParam, IntoCheck, IntoDecision, IntoLogoutResponse, Logout, LogoutContext,
        OptionalIdentParam, RequestParam, SessionParam, StateParam,
    };
    pub use crate::plumbing::{HasCheckInvalid, HasLogout, Hooks, NoCheckInvalid, NoLogout, Probe};
    pub use ::axum::response::{IntoResponse, Response};
    pub use ::std::boxed::Box;
    pub use ::std::option::Option;
    pub use ::std::result::Result;
}
