//! Extractors: the logged-in user's ident, and login links.

use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use tower_sessions::Session;

use crate::audit::{AuditEvent, RefreshOutcome};
use crate::state::{Core, Installed};
use crate::{Error, flow, url, vault};

/// The logged-in user's ident: FastHTML's `auth` parameter.
///
/// Available on every guarded route. On `#[oauth(public = [...])]` paths use `Option<Ident>`:
/// `Some` when the visitor is logged in. `skip` paths have no session, so no `Ident` either.
///
/// The ident is qualified by the provider the user logged in with: `provider:id`
/// (`github:12345`), so that GitHub's `12345` and GitLab's `12345` are two users in an app with
/// several providers. The string form (`.0`, [`Display`](std::fmt::Display), [`as_str`](Self::as_str))
/// is the key to store the user's data by; [`provider`](Self::provider) and [`id`](Self::id)
/// give its two halves. `get_auth`'s `ident`, `check_invalid`'s and `logout`'s `auth`, and the
/// session's [`AUTH_KEY`](crate::manual::AUTH_KEY) hold the same qualified string.
///
/// ```
/// use axum_oauth_login::Ident;
/// async fn home(Ident(auth): Ident) -> String {
///     format!("Logged in as {auth}") // "Logged in as github:12345"
/// }
/// # let _ = axum::Router::<()>::new().route("/", axum::routing::get(home));
/// let ident = Ident("github:12345".into());
/// assert_eq!((ident.provider(), ident.id()), ("github", "12345"));
/// assert_eq!(ident.to_string(), "github:12345");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident(pub String);

impl Ident {
    /// The qualified form, `provider:id`: the key to store the user's data by.
    ///
    /// ```
    /// use axum_oauth_login::Ident;
    /// assert_eq!(Ident("gitlab:12345".into()).as_str(), "gitlab:12345");
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name of the provider the user logged in with
    /// ([`ProviderConfig::name`](crate::provider::ProviderConfig::name): `"github"`); empty for
    /// an ident without a provider (a session stored by a version before qualified idents).
    ///
    /// ```
    /// use axum_oauth_login::Ident;
    /// assert_eq!(Ident("github:12345".into()).provider(), "github");
    /// ```
    #[must_use]
    pub fn provider(&self) -> &str {
        self.0.split_once(':').map_or("", |(provider, _)| provider)
    }

    /// The user's id at the provider ([`UserInfo::ident`](crate::UserInfo::ident)), which may
    /// itself contain `:` (provider names never do).
    ///
    /// ```
    /// use axum_oauth_login::Ident;
    /// assert_eq!(Ident("oidc:urn:user:7".into()).id(), "urn:user:7");
    /// ```
    #[must_use]
    pub fn id(&self) -> &str {
        self.0.split_once(':').map_or(&*self.0, |(_, id)| id)
    }
}

impl std::fmt::Display for Ident {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ident {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Self>().cloned().ok_or_else(|| {
            tracing::error!(
                path = parts.uri.path(),
                "`Ident` used on a route the OAuth guard does not cover (a `skip` path, or a route outside the router given to `install`)"
            );
            Error::Config("no logged-in user on this route".into()).into_response()
        })
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Ident {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Self>().cloned())
    }
}

/// Makes login links: FastHTML's `oauth.login_link(req)`.
///
/// The link starts a pending login in the user's session (state, PKCE, nonce). A `?next=/path`
/// on the current request becomes the page to return to after login, if it is a same-origin path.
/// A session nobody is logged into then lives 10 minutes of inactivity (the pending login's
/// lifetime), so that anonymous visits to the login page do not fill the store; the login gives
/// it the normal expiry ([`OAuthBuilder::session_expiry`](crate::OAuthBuilder::session_expiry)).
///
/// ```
/// use axum::response::Html;
/// use axum_oauth_login::{Error, Login};
///
/// async fn login(login: Login) -> Result<Html<String>, Error> {
///     let href = login.link().await?;
///     Ok(Html(format!(r#"<a href="{}">Log in</a>"#, html_escape::encode_double_quoted_attribute(&href))))
/// }
/// # let _ = axum::Router::<()>::new().route("/login", axum::routing::get(login));
/// ```
#[derive(Debug, Clone)]
pub struct Login {
    core: Arc<Core>,
    /// Which of `core.providers`.
    index: usize,
    session: Session,
    origin: String,
    next: Option<String>,
}

impl Login {
    /// A login link without a state payload.
    ///
    /// # Errors
    /// [`Error::SessionStore`] when the session cannot be written.
    ///
    /// ```
    /// use axum_oauth_login::{Error, Login};
    /// async fn login(login: Login) -> Result<String, Error> {
    ///     login.link().await
    /// }
    /// ```
    pub async fn link(&self) -> Result<String, Error> {
        self.start(None).await
    }

    /// A login link whose `state` payload reaches `get_auth` after the login (FastHTML's
    /// `login_link(req, state=...)`). The payload stays in the session; the provider only sees a
    /// random value.
    ///
    /// # Errors
    /// [`Error::SessionStore`] when the session cannot be written.
    ///
    /// ```
    /// use axum_oauth_login::{Error, Login};
    /// async fn login(login: Login) -> Result<String, Error> {
    ///     login.link_with_state("draft: add a unicorn").await // reaches get_auth as `state`
    /// }
    /// ```
    pub async fn link_with_state(&self, state: impl Into<String>) -> Result<String, Error> {
        self.start(Some(state.into())).await
    }

    /// The callback URL sent to the provider (register exactly this URL with it).
    ///
    /// ```
    /// use axum_oauth_login::{Error, Login};
    /// async fn setup(login: Login) -> String {
    ///     format!("Register {} with the provider", login.redirect_uri())
    /// }
    /// ```
    #[must_use]
    pub fn redirect_uri(&self) -> String {
        format!("{}{}", self.origin, self.current().callback)
    }

    /// Login links for another provider of the app (one added with
    /// [`OAuthBuilder::add_provider`](crate::OAuthBuilder::add_provider)), by its name
    /// (`"google"`); `None` when the app has no such provider.
    ///
    /// ```
    /// use axum_oauth_login::{Error, Login};
    ///
    /// async fn login(login: Login) -> Result<String, Error> {
    ///     let github = login.link().await?;
    ///     let google = match login.provider("google") {
    ///         Some(google) => google.link().await?,
    ///         None => String::new(),
    ///     };
    ///     Ok(format!("{github} {google}"))
    /// }
    /// # let _ = axum::Router::<()>::new().route("/login", axum::routing::get(login));
    /// ```
    #[must_use]
    pub fn provider(&self, name: &str) -> Option<Self> {
        let index = self
            .core
            .providers
            .iter()
            .position(|p| p.client.provider().name == name)?;
        Some(Self {
            index,
            ..self.clone()
        })
    }

    /// The names of the app's providers, `#[oauth(provider)]`'s first: one login button each.
    ///
    /// ```
    /// use axum_oauth_login::{Error, Login};
    /// async fn login(login: Login) -> Result<String, Error> {
    ///     let mut links = Vec::new();
    ///     for name in login.providers().collect::<Vec<_>>() {
    ///         if let Some(provider) = login.provider(name) {
    ///             links.push(provider.link().await?);
    ///         }
    ///     }
    ///     Ok(links.join("\n"))
    /// }
    /// ```
    pub fn providers(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.core.providers.iter().map(|p| p.client.provider().name)
    }

    fn current(&self) -> &Installed {
        &self.core.providers[self.index]
    }

    async fn start(&self, state: Option<String>) -> Result<String, Error> {
        let link = flow::start_login(
            &self.current().client,
            &self.session,
            self.redirect_uri(),
            state,
            self.next.clone(),
            None,
        )
        .await?;
        flow::pending_expiry(&self.session).await?;
        self.core.audit.record(AuditEvent::LoginStarted {
            provider: self.current().client.provider().name.to_owned(),
        });
        Ok(link)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Login {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let (core, session) = installed(parts).map_err(IntoResponse::into_response)?;
        let origin = url::origin(parts, core.public_url.as_ref(), &core.trusted_proxies)
            .map_err(IntoResponse::into_response)?;
        let next = parts.uri.query().and_then(|q| {
            ::url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "next")
                .map(|(_, v)| v.into_owned())
                .filter(|n| flow::is_safe_next(n))
        });
        Ok(Self {
            core,
            index: 0,
            session,
            origin,
            next,
        })
    }
}

/// The logged-in user's tokens, with refresh and revocation: for handlers that call the
/// provider's API on the user's behalf.
///
/// ```
/// use axum_oauth_login::{Error, UserTokens};
///
/// async fn api(tokens: UserTokens) -> Result<String, Error> {
///     let fresh = tokens.fresh().await?; // refreshed first when it expires within a minute
///     Ok(format!("{} bytes of access token", fresh.access_token().len()))
/// }
/// # let _ = axum::Router::<()>::new().route("/api", axum::routing::get(api));
/// ```
#[derive(Debug)]
pub struct UserTokens {
    core: Arc<Core>,
    session: Session,
}

impl UserTokens {
    /// The tokens of the logged-in user.
    ///
    /// # Errors
    /// [`Error::NoTokens`] when there are none (not logged in, `keep_tokens(false)`, revoked);
    /// [`Error::SessionStore`].
    ///
    /// ```
    /// use axum_oauth_login::{Error, UserTokens};
    /// async fn api(tokens: UserTokens) -> Result<(), Error> {
    ///     let tokens = tokens.get().await?;
    ///     let _call = reqwest::Client::new()
    ///         .get("https://api.github.com/user/repos")
    ///         .bearer_auth(tokens.access_token());
    ///     Ok(())
    /// }
    /// ```
    pub async fn get(&self) -> Result<crate::Tokens, Error> {
        Ok(vault::get(&self.core, &self.session).await?.1)
    }

    /// The tokens, refreshed first when the access token expires within a minute (and a refresh
    /// token exists).
    ///
    /// # Errors
    /// As [`refresh`](Self::refresh).
    ///
    /// ```
    /// use axum_oauth_login::{Error, UserTokens};
    /// async fn api(tokens: UserTokens) -> Result<(), Error> {
    ///     let tokens = tokens.fresh().await?; // valid for at least another minute
    ///     let _call = reqwest::Client::new()
    ///         .get("https://www.googleapis.com/drive/v3/files")
    ///         .bearer_auth(tokens.access_token());
    ///     Ok(())
    /// }
    /// ```
    pub async fn fresh(&self) -> Result<crate::Tokens, Error> {
        let (handle, tokens) = vault::get(&self.core, &self.session).await?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        match tokens.expires_at() {
            Some(at) if at - now < 60 && tokens.refresh_token().is_some() => {
                self.refreshed(&handle, &tokens).await
            }
            _ => Ok(tokens),
        }
    }

    /// Refreshes the tokens at the provider now and keeps the new ones (a rotated refresh token
    /// included). One refresh at a time per session, across every instance that shares one of the
    /// library's stores: concurrent callers wait for it and get its result instead of spending the
    /// refresh token twice.
    ///
    /// # Errors
    /// [`Error::InvalidGrant`] when the provider refuses the refresh token: the session ends (on
    /// every instance) and the user logs in again at the next request; [`Error::NoTokens`];
    /// network and provider errors, which keep the tokens (a later call tries again).
    ///
    /// ```
    /// use axum_oauth_login::{Error, UserTokens};
    /// async fn refresh(tokens: UserTokens) -> Result<&'static str, Error> {
    ///     match tokens.refresh().await {
    ///         Ok(_) => Ok("refreshed"),
    ///         Err(Error::InvalidGrant) => Ok("log in again"),
    ///         Err(error) => Err(error),
    ///     }
    /// }
    /// ```
    pub async fn refresh(&self) -> Result<crate::Tokens, Error> {
        let (handle, tokens) = vault::get(&self.core, &self.session).await?;
        self.refreshed(&handle, &tokens).await
    }

    /// [`vault::refresh`], and the end of the session when the provider refused the grant.
    async fn refreshed(
        &self,
        handle: &crate::schema::Handle,
        tokens: &crate::Tokens,
    ) -> Result<crate::Tokens, Error> {
        let result = vault::refresh(&self.core, handle, tokens).await;
        let outcome = match &result {
            Ok(_) => RefreshOutcome::Refreshed,
            Err(Error::InvalidGrant) => RefreshOutcome::InvalidGrant,
            Err(Error::NoTokens) => return result,
            Err(_) => RefreshOutcome::Transient,
        };
        self.core.audit.record(AuditEvent::Refresh {
            provider: handle.provider.clone(),
            outcome,
        });
        if outcome == RefreshOutcome::InvalidGrant {
            crate::flow::end_session(&self.core, &self.session).await?;
        }
        result
    }

    /// Revokes the tokens at the provider and forgets them (the user stays logged in here).
    ///
    /// # Errors
    /// [`Error::Unsupported`] when the provider has no revocation endpoint; network errors.
    ///
    /// ```
    /// use axum_oauth_login::{Error, UserTokens};
    /// async fn revoke(tokens: UserTokens) -> Result<&'static str, Error> {
    ///     tokens.revoke().await?; // the user stays logged in here
    ///     Ok("revoked")
    /// }
    /// ```
    pub async fn revoke(&self) -> Result<(), Error> {
        let (handle, tokens) = vault::get(&self.core, &self.session).await?;
        vault::client(&self.core, &handle)?.revoke(&tokens).await?;
        self.core.audit.record(AuditEvent::Revoked {
            provider: handle.provider.clone(),
        });
        vault::delete(&self.core, &self.session).await
    }

    /// The name of the provider that issued the tokens (`"github"`), for apps with several.
    ///
    /// # Errors
    /// [`Error::NoTokens`]; [`Error::SessionStore`].
    ///
    /// ```
    /// use axum_oauth_login::{Error, UserTokens};
    /// async fn which(tokens: UserTokens) -> Result<String, Error> {
    ///     Ok(format!("logged in with {}", tokens.provider().await?))
    /// }
    /// ```
    pub async fn provider(&self) -> Result<String, Error> {
        let handle = vault::handle(&self.session).await?.ok_or(Error::NoTokens)?;
        Ok(handle.provider)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for UserTokens {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let (core, session) = installed(parts).map_err(IntoResponse::into_response)?;
        Ok(Self { core, session })
    }
}

/// The installation and the session a request carries; a clear error where it carries neither:
/// a route outside the router given to `install`, or a `skip` path (those have no session).
fn installed(parts: &Parts) -> Result<(Arc<Core>, Session), Error> {
    let core = parts.extensions.get::<Arc<Core>>().cloned();
    let session = parts.extensions.get::<Session>().cloned();
    core.zip(session).ok_or_else(|| {
        tracing::error!(
            path = parts.uri.path(),
            "`Login` or `UserTokens` used on a route without the OAuth session"
        );
        Error::Config(
            "no OAuth session on this route: call `install` on the finished router, and list pages that need the session in `public`, not `skip`"
                .into(),
        )
    })
}
