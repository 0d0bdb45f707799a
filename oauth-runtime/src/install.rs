//! Installing the auth on a router: the builder, which assembles the [`Core`] every request
//! reads, adds the library's routes ([`routes`](crate::routes)) and wraps everything in the guard.

use std::net::IpAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use tower_sessions::cookie::Key;
use tower_sessions::{Expiry, SessionStore};
use url::Url;

use crate::guard::{OAuthLayer, RoutedLayer};
use crate::hooks::GetAuth;
use crate::paths::PathPatterns;
use crate::routes;
use crate::session::{SessionCookie, Sessions};
use crate::state::{Core, Flights, Installed, Shared};
use crate::store::{Coordination, MemoryStore};
use crate::{Client, Error, GuardedApp};

/// Configures how an auth struct is installed: session store, public URL, cookie settings.
///
/// [`OAuth::install`](crate::OAuth::install) is the short form with the defaults (in-memory sessions, redirect URL from the
/// request's `Host`).
///
/// ```
/// use axum::{Router, response::Redirect, routing::get};
/// use axum_oauth_login::{GuardedApp, OAuth, OAuthBuilder, SessionCookie, UserInfo, dev::DevProvider, get_auth, oauth};
///
/// #[oauth(provider = "dev")]
/// struct Auth;
///
/// #[get_auth]
/// fn get_auth(info: &UserInfo) -> Option<Redirect> {
///     info.email_verified.then(|| Redirect::to("/"))
/// }
///
/// let dev = DevProvider::new("http://127.0.0.1:8000").unwrap();
/// let app: GuardedApp = OAuthBuilder::new(Auth, dev.client())
///     .public_url("http://127.0.0.1:8000".parse().unwrap())
///     .session_cookie(SessionCookie::new().name("my_app_session"))
///     .unwrap()
///     .install(Router::new().route("/", get(|| async { "home" })));
/// ```
#[must_use]
pub struct OAuthBuilder<A, S = MemoryStore> {
    auth: A,
    client: Client,
    more_clients: Vec<Client>,
    store: S,
    public_url: Option<Url>,
    trusted_proxies: Vec<IpAddr>,
    cookie: SessionCookie,
    cookie_key: Option<Key>,
    expiry: Expiry,
    keep_tokens: bool,
    revoke_on_logout: bool,
    provider_logout: bool,
    /// `None`: the default (on when a provider announces back-channel logout); `Some(None)`: off.
    backchannel_logout: Option<Option<&'static str>>,
    audit: Option<crate::audit::Hook>,
    rate_limit: Option<crate::RateLimit>,
    readiness: Option<&'static str>,
    step_up: Vec<(&'static str, crate::StepUp)>,
}

impl<A: GetAuth> OAuthBuilder<A, MemoryStore> {
    /// The defaults: in-memory sessions ([`MemoryStore`], at most
    /// [`MEMORY_CAPACITY`](crate::store::MEMORY_CAPACITY)), the cookie of [`SessionCookie::new`]
    /// (`__Host-oauth_session` on an https public URL), 14 days of inactivity after login, tokens
    /// kept.
    ///
    /// ```
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// let builder = axum_oauth_login::OAuthBuilder::new(Auth, client);
    /// ```
    pub fn new(auth: A, client: impl Into<Client>) -> Self {
        Self {
            auth,
            client: client.into(),
            more_clients: Vec::new(),
            store: MemoryStore::default(),
            public_url: None,
            trusted_proxies: Vec::new(),
            cookie: SessionCookie::new(),
            cookie_key: None,
            expiry: Expiry::OnInactivity(time::Duration::days(14)),
            keep_tokens: true,
            revoke_on_logout: false,
            provider_logout: false,
            backchannel_logout: None,
            audit: None,
            rate_limit: Some(crate::RateLimit::default()),
            readiness: None,
            step_up: Vec::new(),
        }
    }
}

impl<A: GetAuth, S: SessionStore + Clone> OAuthBuilder<A, S> {
    /// Applies the deployment settings from the environment:
    ///
    /// - `PUBLIC_URL`: the site's URL (see [`public_url`](Self::public_url)); optional;
    /// - `SESSION_STORE`: `memory` (default), `sqlite:///abs/path.db`, `redis://host:port`,
    ///   `postgres://...` (see [`AnyStore`](crate::store::AnyStore));
    /// - `SESSION_KEY`: 128 hex characters; the cookie is then encrypted and signed with it, and
    ///   every instance and restart that shares the key accepts it. Optional.
    ///
    /// # Errors
    /// [`Error::Config`] for a malformed value, [`Error::SessionStore`] for a store that cannot be
    /// reached.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// // SESSION_STORE unset: in-memory sessions.
    /// let app = Auth.builder(client).configure_from_env().await.unwrap().install(axum::Router::new());
    /// # });
    /// ```
    pub async fn configure_from_env(
        self,
    ) -> Result<OAuthBuilder<A, crate::store::AnyStore>, Error> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let store =
            crate::store::AnyStore::from_url(var("SESSION_STORE").as_deref().unwrap_or("memory"))
                .await?;
        let mut builder = self.session_store(store);
        if let Some(url) = var("PUBLIC_URL") {
            let url =
                Url::parse(&url).map_err(|_| Error::Config("PUBLIC_URL is not a URL".into()))?;
            builder = builder.public_url(url);
        }
        if let Some(key) = var("SESSION_KEY") {
            builder = builder.cookie_key(crate::store::key_from_hex(&key)?);
        }
        Ok(builder)
    }

    /// Keeps sessions in `store` (Redis or PostgreSQL when several instances serve one site; see
    /// [`store`](crate::store)).
    ///
    /// # Warning
    /// The store's [`save`](SessionStore::save) must only update a session that is there, and do
    /// nothing (and succeed) when it is not: only [`create`](SessionStore::create) may add one.
    /// Requests of one session run concurrently, each with its own copy of the session: with a
    /// store whose `save` inserts (an upsert, as tower-sessions' own `MemoryStore` and
    /// tower-sessions-sqlx-store's stores do), a request that loaded the session before a logout
    /// and saves it after (a `/login` writing a pending login) writes the whole old session back,
    /// logged-in identity included, and the logout is undone. The library's stores
    /// ([`store::MemoryStore`](crate::store::MemoryStore), [`store::AnyStore`](crate::store::AnyStore))
    /// are update-only.
    ///
    /// ```
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// use axum_oauth_login::store::MemoryStore;
    /// let store = MemoryStore::with_capacity(10_000); // or store::AnyStore, a Redis or SQL store
    /// let app = Auth.builder(client).session_store(store).install(axum::Router::new());
    /// ```
    pub fn session_store<T: SessionStore + Clone>(self, store: T) -> OAuthBuilder<A, T> {
        OAuthBuilder {
            auth: self.auth,
            client: self.client,
            more_clients: self.more_clients,
            store,
            public_url: self.public_url,
            trusted_proxies: self.trusted_proxies,
            cookie: self.cookie,
            cookie_key: self.cookie_key,
            expiry: self.expiry,
            keep_tokens: self.keep_tokens,
            revoke_on_logout: self.revoke_on_logout,
            provider_logout: self.provider_logout,
            backchannel_logout: self.backchannel_logout,
            audit: self.audit,
            rate_limit: self.rate_limit,
            readiness: self.readiness,
            step_up: self.step_up,
        }
    }

    /// Offers another provider beside the one of `#[oauth(provider)]` (a "Log in with Google"
    /// button next to "Log in with GitHub"). Its callback is `{redirect}/{name}`, `name` being the
    /// client's [`ProviderConfig::name`](crate::provider::ProviderConfig::name) (`/redirect/google`):
    /// register that URL with the provider. Make its login links with
    /// [`Login::provider`](crate::Login::provider). One guard and one session serve all providers;
    /// a login started with one provider can only finish at that provider's callback.
    ///
    /// Idents are qualified by the provider's name (`github:12345`, `google:12345`; see
    /// [`Ident`](crate::Ident)), so the same id at two providers is two users.
    ///
    /// # Panics
    /// In [`install`](Self::install), at start-up: when two providers have the same name, or a
    /// name contains `:`.
    ///
    /// ```
    /// use axum::{Router, response::Redirect};
    /// use axum_oauth_login::{GitHubAppClient, GoogleAppClient, GuardedApp, OAuth, UserInfo, get_auth, oauth};
    ///
    /// #[oauth(provider = "github")]
    /// struct Auth;
    ///
    /// #[get_auth]
    /// fn get_auth(info: &UserInfo) -> Option<Redirect> {
    ///     info.email_verified.then(|| Redirect::to("/"))
    /// }
    ///
    /// let app: GuardedApp = Auth
    ///     .builder(GitHubAppClient::new("github-id", "github-secret"))
    ///     .add_provider(GoogleAppClient::new("google-id", "google-secret"))
    ///     .install(Router::new());
    /// ```
    pub fn add_provider(mut self, client: impl Into<Client>) -> Self {
        self.more_clients.push(client.into());
        self
    }

    /// The URL the site is reached at (`https://example.com`): redirect URLs are built from it,
    /// and cookies are `Secure` and `__Host-` prefixed when it is `https` (see [`SessionCookie`]).
    ///
    /// # Warning
    /// Without it, redirect URLs come from the request's `Host` header (FastHTML's `redir_url`)
    /// and cookies are not marked `Secure`: fine on localhost, not for production.
    ///
    /// ```
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// let app = Auth.builder(client)
    ///     .public_url("https://app.example".parse().unwrap())
    ///     .install(axum::Router::new());
    /// ```
    pub fn public_url(mut self, url: Url) -> Self {
        self.public_url = Some(url);
        self
    }

    /// Proxies whose `X-Forwarded-Host` and `X-Forwarded-Proto` are believed when there is no
    /// public URL. Needs the peer address: serve with
    /// `into_make_service_with_connect_info::<SocketAddr>()`.
    ///
    /// # Warning
    /// Forwarding headers from any other peer are ignored; never list a proxy that passes on
    /// its clients' own forwarding headers.
    ///
    /// ```
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// use std::net::{IpAddr, Ipv4Addr};
    /// let app = Auth.builder(client)
    ///     .trusted_proxies([IpAddr::V4(Ipv4Addr::LOCALHOST)])
    ///     .install(axum::Router::new());
    /// ```
    pub fn trusted_proxies(mut self, proxies: impl IntoIterator<Item = IpAddr>) -> Self {
        self.trusted_proxies = proxies.into_iter().collect();
        self
    }

    /// The session cookie's name, domain, path, `SameSite` and `Secure` (see [`SessionCookie`];
    /// the defaults are the safe ones). Give each app on one domain its own name.
    ///
    /// # Errors
    /// [`Error::Config`] for settings a browser would refuse or that would break the login:
    /// `SameSite::None` without `secure(true)`, a name that is not a cookie token or that carries
    /// the `__Host-`/`__Secure-` prefix itself (it is added on an https public URL), a domain or
    /// path that is not one.
    ///
    /// ```
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// use axum_oauth_login::{SameSite, SessionCookie};
    /// let app = Auth.builder(client)
    ///     .public_url("https://shop.example.com".parse().unwrap())
    ///     .session_cookie(SessionCookie::new().name("shop_session"))? // __Host-shop_session
    ///     .install(axum::Router::new());
    /// // `SameSite=None` needs `Secure`: an error, returned.
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// let refused = Auth.builder(client).session_cookie(SessionCookie::new().same_site(SameSite::None));
    /// assert!(refused.is_err());
    /// # Ok::<(), axum_oauth_login::Error>(())
    /// ```
    pub fn session_cookie(mut self, cookie: SessionCookie) -> Result<Self, Error> {
        cookie.check()?;
        self.cookie = cookie;
        Ok(self)
    }

    /// Encrypts and signs the session cookie with `key`. Give every instance the same key (see
    /// [`store::key_from_hex`](crate::store::key_from_hex)) so that they accept each other's cookies.
    ///
    /// ```
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// let key = axum_oauth_login::store::key_from_hex(&"ab".repeat(64)).unwrap(); // from SESSION_KEY
    /// let app = Auth.builder(client).cookie_key(key).install(axum::Router::new());
    /// ```
    pub fn cookie_key(mut self, key: Key) -> Self {
        self.cookie_key = Some(key);
        self
    }

    /// When sessions expire (default: after 14 days of inactivity). It applies from the login on;
    /// a session nobody is logged into that holds a pending login lives 10 minutes of inactivity.
    ///
    /// ```
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// use tower_sessions::{Expiry, cookie::time::Duration};
    /// let app = Auth.builder(client)
    ///     .session_expiry(Expiry::OnInactivity(Duration::hours(8)))
    ///     .install(axum::Router::new());
    /// ```
    pub fn session_expiry(mut self, expiry: Expiry) -> Self {
        self.expiry = expiry;
        self
    }

    /// Whether the tokens are kept after login (default `true`), in a record of their own in the
    /// session store that only [`UserTokens`](crate::UserTokens) reads.
    ///
    /// ```
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// // Identity only: no tokens stored, `UserTokens` answers `Error::NoTokens`.
    /// let app = Auth.builder(client).keep_tokens(false).install(axum::Router::new());
    /// ```
    pub fn keep_tokens(mut self, keep: bool) -> Self {
        self.keep_tokens = keep;
        self
    }

    /// Revokes the user's token at the provider on logout (default `false`).
    ///
    /// ```
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// let app = Auth.builder(client).revoke_on_logout(true).install(axum::Router::new());
    /// ```
    pub fn revoke_on_logout(mut self, revoke: bool) -> Self {
        self.revoke_on_logout = revoke;
        self
    }

    /// Logs the user out at the provider too (OpenID Connect RP-initiated logout): after the
    /// local logout, the browser is sent to the provider's `end_session_endpoint` with the ID
    /// token as hint, a fresh `state`, and the logout path as `post_logout_redirect_uri`
    /// (register `{public URL}/logout` with the provider). When the provider sends the browser
    /// back, the `state` is checked and the `#[logout]` hook answers (or the login page); a
    /// return without that `state` lands on the error page with `logout_state_mismatch` (the
    /// user is logged out either way). Providers without the endpoint, or sessions without an
    /// ID token, get the usual local logout. Default `false`.
    ///
    /// ```
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// let app = Auth.builder(client).provider_logout(true).install(axum::Router::new());
    /// ```
    pub fn provider_logout(mut self, enabled: bool) -> Self {
        self.provider_logout = enabled;
        self
    }

    /// Where the provider posts its logout tokens (OpenID Connect Back-Channel Logout 1.0), or
    /// `None` to turn back-channel logout off. By default it is on at `/backchannel-logout`
    /// when one of the app's providers announces it (its discovery document says
    /// `backchannel_logout_supported`, see [`OidcConfig`](crate::provider::OidcConfig)); `Some`
    /// turns it on for any OpenID Connect provider. Either way it needs one of the library's
    /// stores ([`store::MemoryStore`](crate::store::MemoryStore),
    /// [`store::AnyStore`](crate::store::AnyStore)).
    ///
    /// Register `{public URL}{path}` as the client's `backchannel_logout_uri` with providers that
    /// support it (Keycloak, Auth0, Okta, `oidc-provider`, ...: docs/providers.md says where), and
    /// ask for `backchannel_logout_session_required` when the provider offers it, so that a logout
    /// ends only the sessions of that provider session. Google, GitHub, Discord, Hugging Face,
    /// Apple, GitLab and Entra ID send no logout tokens.
    ///
    /// When the user logs out at the provider (or an administrator ends their session there), the
    /// provider posts a signed logout token here. Once verified (signature with the provider's
    /// keys, `iss`, `aud`, `iat` within 10 minutes, the logout event, `sid` or `sub`, no
    /// `nonce`, a `jti` not seen before by any instance), every session logged in with that
    /// provider session (`sid`), or every session of that user (`sub`) when the token names no
    /// session, ends, on every instance that shares the store. Answers: `200` when done, `400`
    /// with `{"error":"invalid_request",...}` for a token that is not valid, `503` when the store
    /// or the provider's keys cannot be reached (providers retry).
    ///
    /// # Panics
    /// At start-up, when `path` does not start with `/`.
    ///
    /// ```
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// let app = Auth.builder(client).backchannel_logout(Some("/oidc/logout")).install(axum::Router::new());
    /// ```
    pub fn backchannel_logout(mut self, path: Option<&'static str>) -> Self {
        if let Some(path) = path {
            assert!(
                path.starts_with('/'),
                "the back-channel logout path `{path}` must start with `/`"
            );
        }
        self.backchannel_logout = Some(path);
        self
    }

    /// Routes matching `pattern` (the syntax of `skip`: a regular expression matching the whole
    /// path, as `/admin/.*`) need a login that meets `requirement`: an `acr` among those
    /// listed (multi-factor, say) and at most `max_age` old, as the ID token's `acr` and
    /// `auth_time` say (OpenID Connect providers only). A logged-in request that falls short is
    /// sent, for a page (`GET` navigation), through a new login asking for it (`acr_values`,
    /// `max_age`, and `prompt=login` when the login is too old) that comes back to the same
    /// page; any other request gets RFC 9470's `401` with `WWW-Authenticate: Bearer
    /// error="insufficient_user_authentication"` and what is needed. A login that comes back
    /// without it ends on the error page (`insufficient_authentication`). Patterns are checked
    /// in the order given; the first that matches applies.
    ///
    /// # Panics
    /// At [`install`](Self::install), when `pattern` is not a valid pattern.
    ///
    /// ```
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// use std::time::Duration;
    /// use axum_oauth_login::StepUp;
    /// let app = Auth
    ///     .builder(client)
    ///     .step_up("/admin/.*", StepUp::acr(["urn:dev:mfa"]).max_age(Duration::from_secs(600)))
    ///     .install(axum::Router::new());
    /// ```
    pub fn step_up(mut self, pattern: &'static str, requirement: crate::StepUp) -> Self {
        self.step_up.push((pattern, requirement));
        self
    }

    /// Mounts a readiness check at `path` (for a load balancer or Kubernetes' `readinessProbe`):
    /// `GET` answers `200` with `{"status":"ready",...}` when the session store answers and each
    /// OpenID provider's signing keys are current (fetched within the hour; a stale set is fetched
    /// again, at most once per cool-down when the provider fails), else `503` with
    /// `"status":"unavailable"` and what is not. For a provider described by its discovery
    /// document ([`OidcClient::discover`](crate::OidcClient::discover)), it also says whether the
    /// document, read again at most hourly, still names the issuer, keys and endpoints read at
    /// start-up (`"discovery": "current"`, or `{"changed": ...}`, also logged as a warning; a
    /// change does not make the instance unavailable: restart it to use the new document). The
    /// path is public and has no session. Default `None`: not mounted.
    ///
    /// # Panics
    /// At start-up, when `path` does not start with `/`.
    ///
    /// ```
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// let app = Auth.builder(client).readiness(Some("/ready")).install(axum::Router::new());
    /// ```
    pub fn readiness(mut self, path: Option<&'static str>) -> Self {
        if let Some(path) = path {
            assert!(
                path.starts_with('/'),
                "the readiness path `{path}` must start with `/`"
            );
        }
        self.readiness = path;
        self
    }

    /// The limit on login starts (requests to the login page) and callbacks per client address,
    /// or `None` for none: over it, `429 Too Many Requests` with `Retry-After`. Default
    /// [`RateLimit::default`](crate::RateLimit::default) (60 a minute, bursts of 30). Logged-in
    /// requests and every other path are never limited by it.
    ///
    /// The address is the connection's peer: serve the app with
    /// [`GuardedApp::into_make_service_with_connect_info`](crate::GuardedApp::into_make_service_with_connect_info)
    /// (without it, addresses are unknown and nothing is limited). Behind a proxy listed in
    /// [`trusted_proxies`](Self::trusted_proxies), the address is the last `X-Forwarded-For` hop.
    ///
    /// ```
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// use axum_oauth_login::RateLimit;
    /// let app = Auth.builder(client)
    ///     .rate_limit(Some(RateLimit::per_minute(20).burst(10)))
    ///     .install(axum::Router::new());
    /// ```
    pub fn rate_limit(mut self, limit: Option<crate::RateLimit>) -> Self {
        self.rate_limit = limit;
        self
    }

    /// Calls `hook` with every [`AuditEvent`](crate::audit::AuditEvent): logins started,
    /// succeeded, denied by `get_auth` or failed (with the error code), logouts (local, at the
    /// provider, back-channel), refreshes, revocations and sessions ended by `check_invalid`. The
    /// hook runs on the request's task: keep it quick (or use
    /// [`on_audit_async`](Self::on_audit_async)). Every event is also a `tracing` event with the
    /// target `axum_oauth_login::audit`, hook or not. No event carries a token, a code, a secret
    /// or a session id.
    ///
    /// ```
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// use axum_oauth_login::audit::AuditEvent;
    /// let app = Auth.builder(client)
    ///     .on_audit(|event: &AuditEvent| println!("audit: {event:?}"))
    ///     .install(axum::Router::new());
    /// ```
    pub fn on_audit(
        mut self,
        hook: impl Fn(&crate::audit::AuditEvent) + Send + Sync + 'static,
    ) -> Self {
        self.audit = Some(std::sync::Arc::new(hook));
        self
    }

    /// [`on_audit`](Self::on_audit) with an async hook: each event is handed to it on a task of
    /// its own (`tokio::spawn`), so that a slow audit store never slows a login down.
    ///
    /// ```
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// use axum_oauth_login::audit::AuditEvent;
    /// let app = Auth.builder(client)
    ///     .on_audit_async(|event: AuditEvent| async move { println!("stored {}", event.name()) })
    ///     .install(axum::Router::new());
    /// ```
    pub fn on_audit_async<F, Fut>(self, hook: F) -> Self
    where
        F: Fn(crate::audit::AuditEvent) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        self.on_audit(move |event| {
            tokio::spawn(hook(event.clone()));
        })
    }

    /// Adds the callback and logout routes to `router`, wraps every route in the guard and the
    /// session layer, and returns the result: a [`GuardedApp`], served like a `Router` but closed
    /// to new routes (one added later would not be guarded), so call it on the finished router.
    /// Without a route of the app at the error path, the library answers there with a plain page
    /// (the code and a link to the login page).
    ///
    /// # Panics
    /// At start-up, when `router` already has a route at a callback or logout path, when two
    /// providers have the same name, or when a provider's name contains `:` (idents are
    /// `provider:id`, see [`Ident`](crate::Ident)). Never from a request.
    ///
    /// ```
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// use axum::routing::get;
    /// let routes = axum::Router::new().route("/", get(|| async { "home" }));
    /// let app: axum_oauth_login::GuardedApp = Auth.builder(client).install(routes);
    /// ```
    pub fn install(self, router: Router) -> GuardedApp {
        let config = A::CONFIG;
        if config.provider != self.client.provider().name && self.client.provider().name != "dev" {
            tracing::warn!(
                expected = config.provider,
                got = self.client.provider().name,
                "#[oauth(provider)] and the client's provider differ; the client is used"
            );
        }
        if self.public_url.is_none() {
            tracing::warn!(
                "no public URL configured: redirect URLs follow the Host header and cookies are not Secure (fine for localhost only)"
            );
        }
        // `#[oauth]` validated the patterns at compile time.
        let patterns = |list: &[&str], key: &str| {
            PathPatterns::new(list).unwrap_or_else(|e| {
                tracing::error!(error = %e, key, "invalid pattern; the list is ignored");
                PathPatterns::default()
            })
        };
        let mut skip = patterns(config.skip, "skip");
        // The readiness check needs no session: it is skipped by the guard.
        if let Some(path) = self.readiness {
            skip.insert_exact(path);
        }
        let public = patterns(config.public, "public");
        let name = self.client.provider().name;
        assert!(
            !name.contains(':'),
            "the provider name `{name}` contains `:`: idents are `provider:id`, rename it with `Client::with_provider`"
        );
        let mut providers = vec![Installed {
            client: self.client,
            callback: config.redirect.to_owned(),
        }];
        for client in self.more_clients {
            let name = client.provider().name;
            assert!(
                !name.contains(':'),
                "the provider name `{name}` contains `:`: idents are `provider:id`, rename it with `Client::with_provider`"
            );
            assert!(
                providers.iter().all(|p| p.client.provider().name != name),
                "two providers are named `{name}`: give one another name with `Client::with_provider`"
            );
            let callback = format!("{}/{name}", config.redirect.trim_end_matches('/'));
            providers.push(Installed { client, callback });
        }
        let mut own = PathPatterns::default();
        for path in [config.error, config.login, config.logout] {
            own.insert_exact(path);
        }
        for provider in &providers {
            own.insert_exact(&provider.callback);
        }
        // The providers' own routes (the development provider's), public, once per prefix
        // (renamed copies of a client bring the same ones).
        let mut provider_routes: Vec<(&'static str, Router)> = Vec::new();
        for (prefix, routes) in providers.iter().filter_map(|p| p.client.provider_routes()) {
            if provider_routes.iter().all(|(known, _)| *known != prefix) {
                own.insert_prefix(prefix);
                provider_routes.push((prefix, routes));
            }
        }
        let https = self
            .public_url
            .as_ref()
            .is_some_and(|u| u.scheme() == "https");
        let cookie = self.cookie.resolve(https);
        if cookie.secure && !https {
            tracing::warn!(
                "the session cookie is Secure without an https public URL: browsers keep it on localhost only"
            );
        }
        let coordination = coordination(&self.store);
        // The default: on when a provider sends logout tokens (its discovery document says so).
        let announced = providers.iter().any(|p| {
            p.client
                .provider()
                .oidc
                .as_ref()
                .is_some_and(|oidc| oidc.backchannel_logout)
        });
        let path = self
            .backchannel_logout
            .unwrap_or_else(|| announced.then_some(crate::backchannel::DEFAULT_PATH));
        let backchannel = path.and_then(|path| {
            if !providers.iter().any(|p| p.client.provider().oidc.is_some()) {
                return None;
            }
            let Some(index) = coordination.clone() else {
                tracing::warn!(
                    "back-channel logout needs one of the library's session stores (store::MemoryStore, store::AnyStore); it is off"
                );
                return None;
            };
            own.insert_exact(path);
            Some(crate::state::Backchannel { path, index })
        });
        let store = Arc::new(crate::telemetry::TimedStore(self.store));
        let core = Arc::new(Core {
            providers,
            config,
            own,
            skip,
            public,
            sessions: Sessions::new(store.clone(), cookie, self.cookie_key, self.expiry),
            login_location: http::HeaderValue::from_str(config.login)
                .unwrap_or_else(|_| http::HeaderValue::from_static("/login")),
            login_required: Bytes::from(
                serde_json::json!({ "error": "login_required", "login": config.login }).to_string(),
            ),
            store,
            flights: Flights::default(),
            coordination,
            expiry: self.expiry,
            public_url: self.public_url,
            trusted_proxies: self.trusted_proxies,
            keep_tokens: self.keep_tokens,
            revoke_on_logout: self.revoke_on_logout,
            provider_logout: self.provider_logout,
            backchannel,
            audit: crate::audit::Audit::new(self.audit),
            limiter: self.rate_limit.map(crate::ratelimit::Limiter::new),
            step_up: self
                .step_up
                .iter()
                .map(|(pattern, wanted)| {
                    let patterns = PathPatterns::new([*pattern]).unwrap_or_else(|error| {
                        panic!("the step-up pattern `{pattern}` is invalid: {error}")
                    });
                    (patterns, wanted.clone())
                })
                .collect(),
        });
        let shared = Arc::new(Shared {
            auth: self.auth,
            hooks: A::hooks(),
            core: core.clone(),
        });

        let mut router = router.merge(routes::library(shared.clone()));
        if let Some(path) = self.readiness {
            router = router.route(
                path,
                axum::routing::get(crate::readiness::check)
                    .with_state(crate::readiness::Readiness::new(core.clone())),
            );
        }
        for (_, routes) in provider_routes {
            router = router.merge(routes);
        }

        GuardedApp::new(
            router
                .layer(OAuthLayer::new(shared))
                .route_layer(RoutedLayer {
                    error: config.error,
                }),
        )
    }
}

/// What the store offers beside sessions (see `store::Coordination`), when it is one of the
/// library's stores.
fn coordination<S: SessionStore + Clone>(store: &S) -> Option<Arc<dyn Coordination>> {
    let store: &dyn std::any::Any = store;
    if let Some(store) = store.downcast_ref::<crate::store::AnyStore>() {
        return Some(Arc::new(store.clone()));
    }
    store
        .downcast_ref::<MemoryStore>()
        .map(|store| Arc::new(store.clone()) as Arc<dyn Coordination>)
}
