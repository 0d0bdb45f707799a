//! The beforeware, as a tower layer on every route.
//!
//! [`Gate`] decides first what needs no session, so that such requests never pay for one: a
//! `skip` path goes straight to the route (no session, no allocation for the decision); a request
//! without a session cookie gets the 303 to the login page at once, unless its path is `public`.
//! Every other request gets its session opened (the session layer, see [`crate::session`]) and
//! goes through [`guard`]: on the library's own paths it only passes it on, elsewhere it loads the
//! identity (one session load), runs `check_invalid` and carries the identity to the handlers
//! (anonymous requests to `public` paths pass without one); after the response, the session is
//! saved if it changed.

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

use crate::hooks::GuardContext;
use crate::schema::{AUTH_KEY, AUTHN_KEY, STAMP_KEY, Stamp, unix_now};
use crate::session::Opened;
use crate::state::{Core, Shared};
use crate::stepup::{Authn, StepUp};
use crate::{Error, Ident, OAuth};

/// Wraps each route in a [`Gate`].
pub(crate) struct OAuthLayer<A> {
    shared: Arc<Shared<A>>,
}

impl<A> OAuthLayer<A> {
    pub(crate) fn new(shared: Arc<Shared<A>>) -> Self {
        Self { shared }
    }
}

impl<A> Clone for OAuthLayer<A> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<A, S> Layer<S> for OAuthLayer<A> {
    type Service = Gate<A, S>;

    fn layer(&self, route: S) -> Self::Service {
        Gate(Arc::new(GateParts {
            shared: self.shared.clone(),
            route,
        }))
    }
}

/// Decides what needs no session: `skip` paths go straight to the route, anonymous requests to
/// the login page, the library's own paths and everything else to [`guard`]. Each path is
/// classified here, once.
///
/// Axum clones a route's service for every request: behind an `Arc`, that clone is a counter
/// increment, and the route itself is cloned once, when the request goes to it.
pub(crate) struct Gate<A, S>(Arc<GateParts<A, S>>);

struct GateParts<A, S> {
    shared: Arc<Shared<A>>,
    route: S,
}

impl<A, S> Clone for Gate<A, S> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

/// The future of a guarded request: the session, the decision and the route, in one allocation.
type Guarded = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl<A, S> Service<Request> for Gate<A, S>
where
    A: OAuth,
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Response;
    type Error = Infallible;
    type Future = GateFuture<S::Future, Oneshot<S, Request>, Guarded>;

    /// Always ready: the route is driven to readiness when the request goes to it.
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let GateParts { shared, route } = &*self.0;
        let core = &shared.core;
        let path = req.uri().path();
        let own = core.own.matches(path);
        if own && path == core.config.error && req.extensions().get::<AppRoute>().is_none() {
            // The app has no route at the error path: a failed login lands on the library's page.
            return GateFuture::Done {
                response: Some(crate::routes::error_page(core, req.uri().query())),
            };
        }
        if !own && core.skip.matches(path) {
            return bare(route.clone(), req);
        }
        // The Cookie header is scanned once, here: for the anonymous answer and for the session.
        let cookie = core.sessions.cookie(req.headers());
        if !own && cookie.is_none() && !core.public.matches(path) {
            return GateFuture::Done {
                response: Some(to_login(core, &req)),
            };
        }
        let opened = core.sessions.open(cookie);
        GateFuture::Guarded {
            future: Box::pin(guard(shared.clone(), own, route.clone(), req, opened)),
        }
    }
}

/// Marks the requests for the error path that reach one of the app's routes, so that the [`Gate`]
/// can tell them from those that reach the fallback (the app has no route there). Applied with
/// `Router::route_layer` outside the [`Gate`]: routes only, never the fallback; elsewhere it costs a
/// string comparison.
#[derive(Clone, Copy)]
pub(crate) struct RoutedLayer {
    pub(crate) error: &'static str,
}

impl<S> Layer<S> for RoutedLayer {
    type Service = Routed<S>;

    fn layer(&self, route: S) -> Self::Service {
        Routed {
            error: self.error,
            route,
        }
    }
}

/// See [`RoutedLayer`].
#[derive(Clone)]
pub(crate) struct Routed<S> {
    error: &'static str,
    route: S,
}

/// The request extension of [`Routed`].
#[derive(Clone, Copy)]
struct AppRoute;

impl<S: Service<Request>> Service<Request> for Routed<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.route.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        if req.uri().path() == self.error {
            req.extensions_mut().insert(AppRoute);
        }
        self.route.call(req)
    }
}

/// A skipped path: the route's own future when the route is ready at once (an axum route always
/// is), without a `Oneshot` around it; otherwise a `Oneshot` that waits for readiness.
fn bare<S, G>(mut route: S, req: Request) -> GateFuture<S::Future, Oneshot<S, Request>, G>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    match route.poll_ready(&mut Context::from_waker(std::task::Waker::noop())) {
        Poll::Ready(Ok(())) => GateFuture::Bare {
            future: route.call(req),
        },
        Poll::Pending => GateFuture::Waiting {
            future: route.oneshot(req),
        },
    }
}

pin_project_lite::pin_project! {
    /// The [`Gate`]'s future: no boxing on the skip and anonymous paths.
    #[project = GateProj]
    pub(crate) enum GateFuture<B, W, G> {
        Bare { #[pin] future: B },
        Waiting { #[pin] future: W },
        Guarded { #[pin] future: G },
        Done { response: Option<Response> },
    }
}

impl<B, W, G> Future for GateFuture<B, W, G>
where
    B: Future<Output = Result<Response, Infallible>>,
    W: Future<Output = Result<Response, Infallible>>,
    G: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            GateProj::Bare { future } => future.poll(cx),
            GateProj::Waiting { future } => future.poll(cx),
            GateProj::Guarded { future } => future.poll(cx),
            GateProj::Done { response } => Poll::Ready(Ok(response
                .take()
                .unwrap_or_else(|| http::StatusCode::INTERNAL_SERVER_ERROR.into_response()))),
        }
    }
}

/// One guarded request, with the session the [`Gate`] opened: decides, runs the route, then saves
/// the session if it changed. The request stays in this future while [`decide`] borrows it: the future holds one
/// `Request`, not a copy per step. On the library's own paths (`own`), the session is only
/// passed on.
async fn guard<A: OAuth, S>(
    shared: Arc<Shared<A>>,
    own: bool,
    route: S,
    mut req: Request,
    opened: Opened,
) -> Result<Response, Infallible>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    let sessions = &shared.core.sessions;
    req.extensions_mut().insert(opened.session.clone());
    let response = match decide(&shared, own, &opened.session, &mut req).await {
        Some(response) => response,
        None => route.oneshot(req).await?,
    };
    Ok(sessions.close(opened, response).await)
}

/// Answers the request itself (`Some`), or lets it through with the identity and the
/// installation in its extensions (`None`).
async fn decide<A: OAuth>(
    shared: &Shared<A>,
    own: bool,
    session: &Session,
    req: &mut Request,
) -> Option<Response> {
    let core = &shared.core;
    // Lets the `Login` and `UserTokens` extractors find the installation.
    req.extensions_mut().insert(core.clone());
    if own {
        let wait = over_limit(core, req)?;
        // Boxed: only a request over the limit pays for this future.
        return Box::pin(refuse_unless_logged_in(session, req.uri().path(), wait)).await;
    }
    let ident = match session.get::<String>(AUTH_KEY).await {
        Ok(Some(ident)) => ident,
        Ok(None) if core.public.matches(req.uri().path()) => return None,
        Ok(None) => return Some(to_login(core, req)),
        // Fail closed: a store that cannot answer never lets a request through.
        Err(_) => return Some(Error::SessionStore.into_response()),
    };
    if let Some(check) = shared.hooks.check_invalid {
        // Boxed, so that the future every request allocates does not carry this one's size (the
        // hook, when there is one, is a boxed call already; ending a session is rare).
        match Box::pin(check_invalid(shared, check, session, &ident, req)).await {
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
            && let Err(error) = Box::pin(slide_expiry(core, session, stamp.as_deref())).await
        {
            return Some(error.into_response());
        }
    }
    if !core.step_up.is_empty()
        && let Some((_, wanted)) = core
            .step_up
            .iter()
            .find(|(p, _)| p.matches(req.uri().path()))
    {
        // Boxed: only requests to step-up routes pay for this future.
        if let Some(response) = Box::pin(step_up(core, session, &ident, wanted, req)).await {
            return Some(response);
        }
    }
    req.extensions_mut().insert(Ident(ident));
    None
}

/// For a route that needs a stronger or more recent login: `None` when the session's login is
/// enough; else, for a page, a new login asking for it (back to this page), and for anything
/// else RFC 9470's challenge.
async fn step_up(
    core: &Core,
    session: &Session,
    ident: &str,
    wanted: &StepUp,
    // `&mut`: held across the session read, and the body is `Send` but not `Sync`.
    req: &mut Request,
) -> Option<Response> {
    let authn = match session.get::<String>(AUTHN_KEY).await {
        Ok(authn) => authn.as_deref().and_then(Authn::decode),
        Err(_) => return Some(Error::SessionStore.into_response()),
    };
    let shortfall = wanted.shortfall(authn.as_ref(), unix_now())?;
    // Whether it is a page a new login can come back to.
    let page = req.method() == http::Method::GET
        && is_navigation(req.headers())
        && !req.headers().contains_key("hx-request");
    let provider = ident.split_once(':').map(|(provider, _)| provider);
    let installed = core
        .providers
        .iter()
        .find(|p| Some(p.client.provider().name) == provider);
    let (Some(installed), true) = (installed, page) else {
        return Some(insufficient(wanted));
    };
    // The origin of the callback, as a login link has it (from the request's head).
    let mut head = http::Request::new(());
    *head.uri_mut() = req.uri().clone();
    *head.headers_mut() = req.headers().clone();
    if let Some(peer) = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
    {
        head.extensions_mut().insert(*peer);
    }
    let (head, ()) = head.into_parts();
    let origin = match crate::url::origin(&head, core.public_url.as_ref(), &core.trusted_proxies) {
        Ok(origin) => origin,
        Err(error) => return Some(error.into_response()),
    };
    let next = head
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .filter(|next| crate::flow::is_safe_next(next));
    let client = &installed.client;
    match crate::flow::start_login(
        client,
        session,
        format!("{origin}{}", installed.callback),
        None,
        next,
        Some((wanted, shortfall)),
    )
    .await
    {
        Ok(url) => {
            core.audit.record(crate::audit::AuditEvent::LoginStarted {
                provider: client.provider().name.to_owned(),
            });
            Some((http::StatusCode::SEE_OTHER, [(http::header::LOCATION, url)]).into_response())
        }
        Err(error) => Some(error.into_response()),
    }
}

/// RFC 9470: `401` with `WWW-Authenticate: Bearer error="insufficient_user_authentication"`,
/// the `acr_values` and `max_age` needed, and the same in JSON.
fn insufficient(wanted: &StepUp) -> Response {
    use http::header::{CACHE_CONTROL, WWW_AUTHENTICATE};
    let body = serde_json::json!({
        "error": "insufficient_user_authentication",
        "acr_values": wanted.acr_values().join(" "),
        "max_age": wanted.max_age_limit().map(|age| age.as_secs()),
    });
    (
        http::StatusCode::UNAUTHORIZED,
        [
            (WWW_AUTHENTICATE, wanted.challenge()),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        axum::Json(body),
    )
        .into_response()
}

/// How long a login start or callback over the rate limit must wait; `None` for every other
/// request.
fn over_limit(core: &Core, req: &Request) -> Option<std::time::Duration> {
    let limiter = core.limiter.as_ref()?;
    let path = req.uri().path();
    if path != core.config.login && core.providers.iter().all(|p| p.callback != path) {
        return None;
    }
    limiter
        .check(req.extensions(), req.headers(), &core.trusted_proxies)
        .err()
}

/// The `429` of a request over the rate limit, unless its session is logged in (the session is
/// loaded only for a request over the limit).
async fn refuse_unless_logged_in(
    session: &Session,
    path: &str,
    wait: std::time::Duration,
) -> Option<Response> {
    match session.get_value(AUTH_KEY).await {
        Ok(Some(_)) => None,
        Ok(None) => {
            tracing::warn!(path, "rate limit: a login start or callback refused");
            Some(crate::ratelimit::too_many(wait))
        }
        Err(_) => Some(Error::SessionStore.into_response()),
    }
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
    check: crate::plumbing::CheckInvalidFn<A>,
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
            core.audit
                .record(crate::audit::AuditEvent::SessionInvalidated {
                    ident: ident.to_owned(),
                });
            if core.public.matches(req.uri().path()) {
                return Checked::Anonymous;
            }
            Checked::Answer(to_login(core, req))
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
    crate::backchannel::touch(core, session).await
}

/// The answer to an anonymous request for a guarded page. A page navigation gets FastHTML's 303
/// to the login page, a `GET` with its path and query as `?next=` (see [`login_target`]); an
/// HTMX request gets `HX-Redirect`, so that the whole page navigates, with the page it was on
/// (`HX-Current-URL`) as `?next=`; anything else (`fetch`,
/// JSON clients) gets a `401` with a small JSON body instead of a redirect to HTML.
fn to_login(core: &Core, req: &Request) -> Response {
    let headers = req.headers();
    if headers.contains_key("hx-request") {
        // The page to come back to is the one the user is on (`HX-Current-URL`), not the
        // fragment HTMX asked for; only its path and query are kept, so it stays on this site.
        let page = headers
            .get("hx-current-url")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| ::url::Url::parse(v).ok());
        let target = page.as_ref().map(|page| match page.query() {
            Some(query) => format!("{}?{query}", page.path()),
            None => page.path().to_owned(),
        });
        return (
            [("hx-redirect", login_with_next(core, target.as_deref()))],
            "",
        )
            .into_response();
    }
    if !is_navigation(headers) {
        return login_required(core);
    }
    (
        http::StatusCode::SEE_OTHER,
        [(http::header::LOCATION, login_target(core, req))],
    )
        .into_response()
}

/// Whether a request is a page navigation: `Sec-Fetch-Mode: navigate` when the browser sends
/// Fetch Metadata, otherwise an `Accept` that names `text/html` (or no `Accept` at all, which
/// accepts anything).
fn is_navigation(headers: &HeaderMap) -> bool {
    if let Some(mode) = headers.get("sec-fetch-mode") {
        return mode.as_bytes().eq_ignore_ascii_case(b"navigate");
    }
    let mut accept = headers.get_all(http::header::ACCEPT).iter().peekable();
    accept.peek().is_none()
        || accept.any(|value| {
            value
                .as_bytes()
                .windows(b"text/html".len())
                .any(|w| w.eq_ignore_ascii_case(b"text/html"))
        })
}

/// The `401` for a request that is not a page navigation: `{"error":"login_required","login":..}`,
/// never stored by a cache, and varying on every header the decision read.
fn login_required(core: &Core) -> Response {
    use http::header::{CACHE_CONTROL, CONTENT_TYPE, VARY};
    (
        http::StatusCode::UNAUTHORIZED,
        [
            (
                CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            ),
            (CACHE_CONTROL, http::HeaderValue::from_static("no-store")),
            (
                VARY,
                http::HeaderValue::from_static("accept, sec-fetch-mode, hx-request, cookie"),
            ),
        ],
        core.login_required.clone(),
    )
        .into_response()
}

/// The login page, with `?next=` the request's path and query when it is a `GET` of a page other
/// than `/` and a safe, same-origin target ([`is_safe_next`](crate::manual::is_safe_next)). The login
/// page's [`Login`](crate::Login) links carry it through the provider, and the callback answers
/// with a redirect there instead of `get_auth`'s. `/` is left out: it is where `get_auth`
/// usually sends the user anyway, and its own redirect (`/welcome`) keeps the last word.
fn login_target(core: &Core, req: &Request) -> http::HeaderValue {
    let target = req
        .uri()
        .path_and_query()
        .map(http::uri::PathAndQuery::as_str)
        .filter(|_| req.method() == http::Method::GET);
    login_with_next(core, target)
}

/// The login page with `?next=target`, or without it when there is no target, the target is `/`
/// or it is not a safe, same-origin path.
fn login_with_next(core: &Core, target: Option<&str>) -> http::HeaderValue {
    match crate::flow::with_next(core.config.login, target) {
        std::borrow::Cow::Owned(location) => {
            http::HeaderValue::from_maybe_shared(axum::body::Bytes::from(location))
                .unwrap_or_else(|_| core.login_location.clone())
        }
        std::borrow::Cow::Borrowed(_) => core.login_location.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// A route that is ready only on its second `poll_ready`, and refuses calls before.
    #[derive(Clone)]
    struct Slow {
        ready: bool,
    }

    impl Service<Request> for Slow {
        type Response = Response;
        type Error = Infallible;
        type Future = std::future::Ready<Result<Response, Infallible>>;

        fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            if self.ready {
                return Poll::Ready(Ok(()));
            }
            self.ready = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }

        fn call(&mut self, _: Request) -> Self::Future {
            assert!(self.ready, "called before it was ready");
            std::future::ready(Ok("skipped".into_response()))
        }
    }

    #[tokio::test]
    async fn a_skipped_path_calls_its_route_only_once_the_route_is_ready() {
        let at_once = bare::<_, Guarded>(Slow { ready: true }, Request::default());
        assert!(matches!(at_once, GateFuture::Bare { .. }));
        let later = bare::<_, Guarded>(Slow { ready: false }, Request::default());
        assert!(matches!(later, GateFuture::Waiting { .. }));
        for future in [at_once, later] {
            let response = future.await.unwrap();
            assert_eq!(response.status(), http::StatusCode::OK);
        }
    }
}
