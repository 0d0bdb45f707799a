//! The beforeware, as a tower layer on every route.
//!
//! Each route gets two services, so that requests which need no session never pay for one:
//!
//! - [`Gate`], outermost: a `skip` path goes straight to the route (no session, no allocation for
//!   the decision); a request without a session cookie gets the 303 to the login page at once,
//!   unless its path is `public`.
//! - The session layer, then [`Guard`]: the library's own paths pass with their session; other
//!   requests load the identity (one session load), run `check_invalid` and carry the identity
//!   to the handlers. Anonymous requests to `public` paths pass without one.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::HeaderMap;
use tower::util::Oneshot;
use tower::{Layer, Service, ServiceExt as _};
use tower_sessions::Session;

use crate::flow::AUTH_KEY;
use crate::hooks::GuardContext;
use crate::install::{Core, Shared};
use crate::vault::{STAMP_KEY, Stamp};
use crate::{Error, Ident, OAuth};

/// Wraps each route in a [`Gate`] and, behind it, the session layer `L` around a [`Guard`].
pub(crate) struct OAuthLayer<A, L> {
    shared: Arc<Shared<A>>,
    session: L,
}

impl<A, L> OAuthLayer<A, L> {
    pub(crate) fn new(shared: Arc<Shared<A>>, session: L) -> Self {
        Self { shared, session }
    }
}

impl<A, L: Clone> Clone for OAuthLayer<A, L> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
            session: self.session.clone(),
        }
    }
}

impl<A, L, S> Layer<S> for OAuthLayer<A, L>
where
    S: Clone,
    L: Layer<Guard<A, S>>,
{
    type Service = Gate<S, L::Service>;

    fn layer(&self, inner: S) -> Self::Service {
        let route = Arc::new(inner.clone());
        let guard = |own| Guard {
            shared: self.shared.clone(),
            inner: route.clone(),
            own,
        };
        Gate(Arc::new(GateParts {
            core: self.shared.core.clone(),
            own: self.session.layer(guard(true)),
            guarded: self.session.layer(guard(false)),
            bare: inner,
        }))
    }
}

/// Decides what needs no session: `skip` paths go to `bare`, anonymous requests to the login
/// page, the library's own paths to `own` and everything else to `guarded` (both the session
/// layer around a [`Guard`]). Each path is classified here, once.
///
/// Axum clones a route's service for every request: behind an `Arc`, that clone is a counter
/// increment, and only the service the request goes to is cloned (the session stack is not cheap
/// to clone, and a skipped request never needs it).
pub(crate) struct Gate<S, G>(Arc<GateParts<S, G>>);

struct GateParts<S, G> {
    core: Arc<Core>,
    bare: S,
    own: G,
    guarded: G,
}

impl<S, G> Clone for Gate<S, G> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<S, G> Service<Request> for Gate<S, G>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone,
    G: Service<Request, Response = Response, Error = Infallible> + Clone,
{
    type Response = Response;
    type Error = Infallible;
    type Future = GateFuture<Oneshot<S, Request>, Oneshot<G, Request>>;

    /// Always ready: the chosen service is driven to readiness in its `Oneshot`.
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let parts = &*self.0;
        let core = &parts.core;
        let path = req.uri().path();
        if core.own.matches(path) {
            return GateFuture::Guarded {
                future: parts.own.clone().oneshot(req),
            };
        }
        if core.skip.matches(path) {
            return GateFuture::Bare {
                future: parts.bare.clone().oneshot(req),
            };
        }
        if !has_cookie(req.headers(), &core.cookie_name) && !core.public.matches(path) {
            return GateFuture::Done {
                response: Some(to_login(core, req.headers())),
            };
        }
        GateFuture::Guarded {
            future: parts.guarded.clone().oneshot(req),
        }
    }
}

pin_project_lite::pin_project! {
    /// The [`Gate`]'s future: no boxing on the skip and anonymous paths.
    #[project = GateProj]
    pub(crate) enum GateFuture<B, G> {
        Bare { #[pin] future: B },
        Guarded { #[pin] future: G },
        Done { response: Option<Response> },
    }
}

impl<B, G> Future for GateFuture<B, G>
where
    B: Future<Output = Result<Response, Infallible>>,
    G: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            GateProj::Bare { future } => future.poll(cx),
            GateProj::Guarded { future } => future.poll(cx),
            GateProj::Done { response } => Poll::Ready(Ok(response
                .take()
                .unwrap_or_else(|| http::StatusCode::INTERNAL_SERVER_ERROR.into_response()))),
        }
    }
}

/// True when the request carries a non-empty cookie named `name`. Allocates nothing.
fn has_cookie(headers: &HeaderMap, name: &str) -> bool {
    headers.get_all(http::header::COOKIE).iter().any(|value| {
        let mut rest = value.as_bytes();
        loop {
            let end = rest.iter().position(|&b| b == b';').unwrap_or(rest.len());
            let found = rest[..end]
                .trim_ascii_start()
                .strip_prefix(name.as_bytes())
                .and_then(|pair| pair.strip_prefix(b"="))
                .is_some_and(|value| !value.trim_ascii().is_empty());
            if found {
                return true;
            }
            let Some(next) = rest.get(end + 1..) else {
                return false;
            };
            rest = next;
        }
    })
}

/// Inside the session layer: loads the identity and decides; on the library's own paths
/// (`own`), only makes the installation available to the extractors.
///
/// The route is shared: the session layer clones the guard for every request, and that clone is
/// a counter increment. The route itself is cloned once, when the request goes to it.
pub(crate) struct Guard<A, S> {
    shared: Arc<Shared<A>>,
    inner: Arc<S>,
    own: bool,
}

impl<A, S> Clone for Guard<A, S> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
            inner: self.inner.clone(),
            own: self.own,
        }
    }
}

impl<A, S> Service<Request> for Guard<A, S>
where
    A: OAuth,
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    /// Always ready: the route is driven to readiness in its `Oneshot`.
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let route = S::clone(&self.inner);
        Box::pin(guard(self.shared.clone(), self.own, route, req))
    }
}

/// The request stays in this future while [`decide`] borrows it: the future every logged-in
/// request allocates holds one `Request`, not a copy per step.
async fn guard<A: OAuth, S>(
    shared: Arc<Shared<A>>,
    own: bool,
    route: S,
    mut req: Request,
) -> Result<Response, Infallible>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    if let Some(response) = decide(&shared, own, &mut req).await {
        return Ok(response);
    }
    route.oneshot(req).await
}

/// Answers the request itself (`Some`), or lets it through with the identity and the
/// installation in its extensions (`None`).
async fn decide<A: OAuth>(shared: &Shared<A>, own: bool, req: &mut Request) -> Option<Response> {
    let core = &shared.core;
    // Lets the `Login` and `UserTokens` extractors find the installation.
    req.extensions_mut().insert(core.clone());
    if own {
        return None;
    }
    let Some(session) = req.extensions().get::<Session>().cloned() else {
        tracing::error!("no session layer around the OAuth guard");
        return Some(Error::Config("the session layer is missing".into()).into_response());
    };
    let ident = match session.get::<String>(AUTH_KEY).await {
        Ok(Some(ident)) => ident,
        Ok(None) if core.public.matches(req.uri().path()) => return None,
        Ok(None) => return Some(to_login(core, req.headers())),
        // Fail closed: a store that cannot answer never lets a request through.
        Err(_) => return Some(Error::SessionStore.into_response()),
    };
    if let Some(check) = shared.hooks.check_invalid {
        // Boxed, so that the future every request allocates does not carry this one's size (the
        // hook, when there is one, is a boxed call already; ending a session is rare).
        match Box::pin(check_invalid(shared, check, &session, &ident, req)).await {
            Checked::Valid => {}
            Checked::Anonymous => return None,
            Checked::Answer(response) => return Some(response),
        }
    }
    // Only an inactivity expiry slides (and needs the stamp's time).
    if let tower_sessions::Expiry::OnInactivity(window) = core.expiry {
        let stamp = match session.get::<String>(STAMP_KEY).await {
            Ok(stamp) => stamp,
            Err(_) => return Some(Error::SessionStore.into_response()),
        };
        if slide_due(window, stamp.as_deref())
            && let Err(error) = Box::pin(slide_expiry(core, &session, stamp.as_deref())).await
        {
            return Some(error.into_response());
        }
    }
    req.extensions_mut().insert(Ident(ident));
    None
}

/// What `check_invalid` made of a request.
enum Checked {
    /// Valid: go on with the identity.
    Valid,
    /// Invalid on a `public` path: the session is ended, the request goes on anonymous.
    Anonymous,
    /// The hook's own response, the login page, or a store error.
    Answer(Response),
}

async fn check_invalid<A: OAuth>(
    shared: &Shared<A>,
    check: crate::hooks::CheckInvalidFn<A>,
    session: &Session,
    ident: &str,
    req: &mut Request,
) -> Checked {
    let core = &shared.core;
    let (parts, body) = std::mem::take(req).into_parts();
    let verdict = {
        let cx = GuardContext {
            req: &parts,
            session,
            auth: ident,
        };
        check(&shared.auth, &cx).await
    };
    *req = Request::from_parts(parts, body);
    match verdict {
        None => Checked::Valid,
        Some(Ok(response)) => Checked::Answer(response),
        Some(Err(())) => {
            if crate::flow::end_session(core, session).await.is_err() {
                return Checked::Answer(Error::SessionStore.into_response());
            }
            if core.public.matches(req.uri().path()) {
                return Checked::Anonymous;
            }
            Checked::Answer(to_login(core, req.headers()))
        }
    }
}

/// tower-sessions saves (and so extends) a session only when it changed: an active user would be
/// logged out `window` after login. Touching the stamp's timestamp once a quarter of the window
/// keeps the session alive at the cost of one write per quarter window, not one per request.
fn slide_due(window: time::Duration, stamp: Option<&str>) -> bool {
    stamp
        .and_then(Stamp::seen_of)
        .is_none_or(|seen| unix_now() - seen >= window.whole_seconds() / 4)
}

/// Seconds since 1970 (cheaper than `time::OffsetDateTime::now_utc`, on every request).
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Moves the stamp's timestamp to now, and the token record's expiry with the session's.
async fn slide_expiry(core: &Core, session: &Session, stamp: Option<&str>) -> Result<(), Error> {
    let stamp = Stamp {
        seen: unix_now(),
        tokens: stamp.and_then(Stamp::decode).and_then(|s| s.tokens),
    };
    crate::vault::set_stamp(session, &stamp).await?;
    if let Some(handle) = &stamp.tokens {
        crate::vault::touch(core, handle).await?;
    }
    Ok(())
}

/// 303 to the login page; HTMX requests get `HX-Redirect` so the whole page navigates.
fn to_login(core: &Core, headers: &HeaderMap) -> Response {
    let location = core.login_location.clone();
    if headers.contains_key("hx-request") {
        return ([("hx-redirect", location)], "").into_response();
    }
    (
        http::StatusCode::SEE_OTHER,
        [(http::header::LOCATION, location)],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookies: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for c in cookies {
            map.append(http::header::COOKIE, c.parse().unwrap());
        }
        map
    }

    fn has(cookies: &[&str], name: &str) -> bool {
        has_cookie(&headers(cookies), name)
    }

    #[test]
    fn the_expiry_slides_once_a_quarter_window() {
        let window = time::Duration::minutes(4);
        let at = |ago: i64| (unix_now() - ago).to_string();
        assert!(!slide_due(window, Some(&at(0))));
        assert!(!slide_due(window, Some(&format!("{} id dev", at(50)))));
        assert!(slide_due(window, Some(&at(61))));
        assert!(slide_due(window, None), "no stamp yet");
        assert!(
            slide_due(window, Some("garbage")),
            "an unreadable stamp is rewritten"
        );
    }

    #[test]
    fn the_session_cookie_is_found_only_by_its_exact_name() {
        assert!(has(&["oauth_session=abc"], "oauth_session"));
        assert!(has(&["a=1; oauth_session=abc; b=2"], "oauth_session"));
        assert!(has(&["a=1", "oauth_session=x"], "oauth_session"));
        assert!(!has(&[], "oauth_session"));
        assert!(!has(&["oauth_session="], "oauth_session"));
        assert!(!has(&["oauth_session2=abc"], "oauth_session"));
        assert!(!has(&["xoauth_session=abc"], "oauth_session"));
        assert!(!has(&["a=oauth_session=abc"], "oauth_session"));
        assert!(!has(&["oauth_session= ; b=1"], "oauth_session"));
        assert!(has(&["a=x;oauth_session=abc"], "oauth_session"));
        assert!(has(&["  oauth_session=v"], "oauth_session"));
        // A bad first occurrence does not hide a good one.
        assert!(has(&["oauth_session=; oauth_session=v"], "oauth_session"));
        assert!(has(&["b=oauth_session; oauth_session=v"], "oauth_session"));
    }
}
