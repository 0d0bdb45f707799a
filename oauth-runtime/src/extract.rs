//! Extractors: the logged-in user's ident, and login links.

use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use tower_sessions::Session;

use crate::install::Core;
use crate::{Error, flow, url};

/// The logged-in user's ident: the seed's `auth` parameter.
///
/// Available on every guarded route; `Option<Ident>` also works on public ones.
///
/// ```
/// use oauth_runtime::Ident;
/// async fn home(Ident(auth): Ident) -> String {
///     format!("Logged in as {auth}")
/// }
/// # let _ = axum::Router::<()>::new().route("/", axum::routing::get(home));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Ident {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Self>().cloned().ok_or_else(|| {
            tracing::error!(
                path = parts.uri.path(),
                "`Ident` used on a route the OAuth guard does not cover (a `skip` path, or a route added after `install`)"
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

/// Makes login links: the seed's `oauth.login_link(req)`.
///
/// The link starts a pending login in the user's session (state, PKCE, nonce). A `?next=/path`
/// on the current request becomes the page to return to after login, if it is a same-origin path.
///
/// ```
/// use axum::response::Html;
/// use oauth_runtime::{Error, Login};
///
/// async fn login(login: Login) -> Result<Html<String>, Error> {
///     let href = login.link().await?;
///     Ok(Html(format!(r#"<a href="{}">Log in</a>"#, html_escape::encode_double_quoted_attribute(&href))))
/// }
/// # let _ = axum::Router::<()>::new().route("/login", axum::routing::get(login));
/// ```
#[derive(Debug)]
pub struct Login {
    core: Arc<Core>,
    session: Session,
    redirect_uri: String,
    next: Option<String>,
}

impl Login {
    /// A login link without a state payload.
    ///
    /// # Errors
    /// [`Error::SessionStore`] when the session cannot be written.
    pub async fn link(&self) -> Result<String, Error> {
        self.start(None).await
    }

    /// A login link whose `state` payload reaches `get_auth` after the login (the seed's
    /// `login_link(req, state=...)`). The payload stays in the session; the provider only sees a
    /// random value.
    ///
    /// # Errors
    /// [`Error::SessionStore`] when the session cannot be written.
    pub async fn link_with_state(&self, state: impl Into<String>) -> Result<String, Error> {
        self.start(Some(state.into())).await
    }

    /// The callback URL sent to the provider (register exactly this URL with it).
    #[must_use]
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    async fn start(&self, state: Option<String>) -> Result<String, Error> {
        flow::start_login(
            &self.core.client,
            &self.session,
            self.redirect_uri.clone(),
            state,
            self.next.clone(),
        )
        .await
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Login {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let missing = || {
            Error::Config("the OAuth layer is not installed: call `Auth.install(router, client)` on the finished router".into())
                .into_response()
        };
        let core = parts
            .extensions
            .get::<Arc<Core>>()
            .cloned()
            .ok_or_else(missing)?;
        let session = parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(missing)?;
        let origin = url::origin(parts, core.public_url.as_ref(), &core.trusted_proxies)
            .map_err(IntoResponse::into_response)?;
        let redirect_uri = format!("{origin}{}", core.config.redirect);
        let next = parts.uri.query().and_then(|q| {
            ::url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "next")
                .map(|(_, v)| v.into_owned())
                .filter(|n| flow::is_safe_next(n))
        });
        Ok(Self {
            core,
            session,
            redirect_uri,
            next,
        })
    }
}

/// The logged-in user's tokens, with refresh and revocation: for handlers that call the
/// provider's API on the user's behalf.
///
/// ```
/// use oauth_runtime::{Error, UserTokens};
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
    /// The tokens kept in the session.
    ///
    /// # Errors
    /// [`Error::NoTokens`] when there are none; [`Error::SessionStore`].
    pub async fn get(&self) -> Result<crate::Tokens, Error> {
        flow::tokens(&self.session).await?.ok_or(Error::NoTokens)
    }

    /// The tokens, refreshed first when the access token expires within a minute (and a refresh
    /// token exists).
    ///
    /// # Errors
    /// As [`refresh`](Self::refresh).
    pub async fn fresh(&self) -> Result<crate::Tokens, Error> {
        let tokens = self.get().await?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        match tokens.expires_at() {
            Some(at) if at - now < 60 && tokens.refresh_token().is_some() => self.refresh().await,
            _ => Ok(tokens),
        }
    }

    /// Refreshes the tokens at the provider now and keeps the new ones (a rotated refresh token
    /// included) in the session.
    ///
    /// # Errors
    /// [`Error::InvalidGrant`] when the provider refuses the refresh token: the user must log in
    /// again; [`Error::NoTokens`]; network and provider errors.
    pub async fn refresh(&self) -> Result<crate::Tokens, Error> {
        let tokens = self.get().await?;
        let fresh = self.core.client.refresh(&tokens).await?;
        self.session.insert(flow::TOKENS_KEY, &fresh).await?;
        Ok(fresh)
    }

    /// Revokes the tokens at the provider and forgets them (the user stays logged in here).
    ///
    /// # Errors
    /// [`Error::Unsupported`] when the provider has no revocation endpoint; network errors.
    pub async fn revoke(&self) -> Result<(), Error> {
        let tokens = self.get().await?;
        self.core.client.revoke(&tokens).await?;
        self.session.remove_value(flow::TOKENS_KEY).await?;
        Ok(())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for UserTokens {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let missing = || {
            Error::Config(
                "the OAuth layer is not installed: call `Auth.install(router, client)` on the finished router"
                    .into(),
            )
            .into_response()
        };
        let core = parts
            .extensions
            .get::<Arc<Core>>()
            .cloned()
            .ok_or_else(missing)?;
        let session = parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(missing)?;
        Ok(Self { core, session })
    }
}
