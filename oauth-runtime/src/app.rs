//! What `install` returns: the guarded app, served like a router, closed to new routes.
//!
//! A route added to a `Router` after the guard layer is not wrapped by it (`Router::layer` wraps
//! the routes that are there): it would be served to anyone. [`GuardedApp`] therefore has no way
//! to add one; the methods that would are there only to say so at the user's token.

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Bytes, HttpBody};
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use axum::routing::Route;
use axum::routing::future::RouteFuture;
use tower::{BoxError, Layer, Service};

/// The app with the auth installed: what [`OAuthBuilder::install`](crate::OAuthBuilder::install)
/// and [`OAuth::install`](crate::OAuth::install) return.
///
/// It is served exactly like an [`axum::Router`]: `axum::serve(listener, app)`,
/// [`into_make_service`](Self::into_make_service),
/// [`into_make_service_with_connect_info`](Self::into_make_service_with_connect_info), or as a
/// `tower::Service` (`app.oneshot(request)` in tests). [`layer`](Self::layer) adds outer middleware
/// (tracing, compression, timeouts).
///
/// What it cannot do is take another route: a route added after `install` would bypass the guard
/// and be public by accident. `.route`, `.merge`, `.nest`, `.fallback` and their `_service`
/// forms do not compile; add the routes to the `Router` given to `install` instead (they are
/// guarded, or public through `#[oauth(skip = [...])]` / `public`).
///
/// ```
/// use axum::{Router, response::Redirect, routing::get};
/// use axum_oauth_login::{GuardedApp, OAuth, UserInfo, dev::DevProvider, get_auth, oauth};
///
/// #[oauth(provider = "dev", skip = ["/health"])]
/// struct Auth;
///
/// #[get_auth]
/// fn get_auth(info: &UserInfo) -> Option<Redirect> {
///     info.email_verified.then(|| Redirect::to("/"))
/// }
///
/// # async fn run() -> std::io::Result<()> {
/// let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
/// let routes = Router::new()
///     .route("/", get(|| async { "home" }))
///     .route("/health", get(|| async { "ok" })); // public: listed in `skip`
/// let app: GuardedApp = Auth.install(routes, client);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
/// axum::serve(listener, app).await
/// # }
/// ```
///
/// A route added afterwards is a compile error:
///
/// ```compile_fail,E0277
/// # use axum::{Router, response::Redirect, routing::get};
/// # use axum_oauth_login::{OAuth, UserInfo, dev::DevProvider, get_auth, oauth};
/// # #[oauth(provider = "dev")] struct Auth;
/// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<Redirect> { None }
/// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
/// let app = Auth.install(Router::new(), client)
///     .route("/admin", get(|| async { "secret" })); // error: routes cannot be added after `install`
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct GuardedApp {
    router: Router,
    /// The peer of the connection this copy serves (`axum::serve(listener, app)` on a TCP
    /// listener), given to requests that carry no `ConnectInfo` of their own: the rate limit
    /// counts per address.
    peer: Option<std::net::SocketAddr>,
}

impl GuardedApp {
    /// The finished router, guard and session layer included.
    pub(crate) fn new(router: Router) -> Self {
        // As `axum::serve` does per connection for a `Router`: the routes become `Route`s once.
        Self {
            router: router.with_state(()),
            peer: None,
        }
    }

    /// Wraps the whole app (the guard included) in `layer`, as [`Router::layer`] does: for
    /// middleware such as tracing or compression.
    ///
    /// ```
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// let app = Auth.install(axum::Router::new(), client)
    ///     .layer(axum::middleware::from_fn(|req, next: axum::middleware::Next| async move {
    ///         next.run(req).await // logging, metrics, ...
    ///     }));
    /// ```
    pub fn layer<L>(self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        Self {
            router: self.router.layer(layer),
            peer: self.peer,
        }
    }

    /// A make-service for `axum::serve` or hyper, as [`Router::into_make_service`].
    ///
    /// ```
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # async fn run(client: axum_oauth_login::Client) -> std::io::Result<()> {
    /// let app = Auth.install(axum::Router::new(), client);
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
    /// axum::serve(listener, app.into_make_service()).await
    /// # }
    /// ```
    pub fn into_make_service(self) -> axum::routing::IntoMakeService<Router> {
        self.router.into_make_service()
    }

    /// A make-service that gives each request the peer's address of type `C`
    /// (`ConnectInfo<SocketAddr>`), as [`Router::into_make_service_with_connect_info`]: what
    /// [`trusted_proxies`](crate::OAuthBuilder::trusted_proxies) needs.
    ///
    /// ```
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # async fn run(client: axum_oauth_login::Client) -> std::io::Result<()> {
    /// use std::net::SocketAddr;
    /// let app = Auth.install(axum::Router::new(), client);
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
    /// axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
    /// # }
    /// ```
    pub fn into_make_service_with_connect_info<C>(
        self,
    ) -> axum::extract::connect_info::IntoMakeServiceWithConnectInfo<Router, C> {
        self.router.into_make_service_with_connect_info()
    }

    /// Does not compile: a route added after `install` would not be guarded. Add it to the
    /// `Router` given to `install`.
    ///
    /// ```compile_fail,E0277
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// let app = Auth.install(axum::Router::new(), client)
    ///     .route("/admin", axum::routing::get(|| async { "secret" }));
    /// ```
    pub fn route<T: AddedBeforeInstall>(self, _path: &str, method_router: T) -> Self {
        method_router.never()
    }

    /// Does not compile: a service added after `install` would not be guarded. Add it to the
    /// `Router` given to `install`.
    ///
    /// ```compile_fail,E0277
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// let files = tower::service_fn(|_req| async { Ok::<_, std::convert::Infallible>("file") });
    /// let app = Auth.install(axum::Router::new(), client).route_service("/files", files);
    /// ```
    pub fn route_service<T: AddedBeforeInstall>(self, _path: &str, service: T) -> Self {
        service.never()
    }

    /// Does not compile: routes merged after `install` would not be guarded. Merge them into the
    /// `Router` given to `install`.
    ///
    /// ```compile_fail,E0277
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// let admin = axum::Router::new().route("/admin", axum::routing::get(|| async { "secret" }));
    /// let app = Auth.install(axum::Router::new(), client).merge(admin);
    /// ```
    pub fn merge<T: AddedBeforeInstall>(self, other: T) -> Self {
        other.never()
    }

    /// Does not compile: a router nested after `install` would not be guarded. Nest it in the
    /// `Router` given to `install`.
    ///
    /// ```compile_fail,E0277
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// let admin = axum::Router::new().route("/", axum::routing::get(|| async { "secret" }));
    /// let app = Auth.install(axum::Router::new(), client).nest("/admin", admin);
    /// ```
    pub fn nest<T: AddedBeforeInstall>(self, _path: &str, router: T) -> Self {
        router.never()
    }

    /// Does not compile: a service nested after `install` would not be guarded. Nest it in the
    /// `Router` given to `install`.
    ///
    /// ```compile_fail,E0277
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// let files = tower::service_fn(|_req| async { Ok::<_, std::convert::Infallible>("file") });
    /// let app = Auth.install(axum::Router::new(), client).nest_service("/files", files);
    /// ```
    pub fn nest_service<T: AddedBeforeInstall>(self, _path: &str, service: T) -> Self {
        service.never()
    }

    /// Does not compile: a fallback set after `install` would not be guarded. Set it on the
    /// `Router` given to `install`.
    ///
    /// ```compile_fail,E0277
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// let app = Auth.install(axum::Router::new(), client).fallback(|| async { "anything" });
    /// ```
    pub fn fallback<T: AddedBeforeInstall>(self, handler: T) -> Self {
        handler.never()
    }

    /// Does not compile: a fallback service set after `install` would not be guarded. Set it on
    /// the `Router` given to `install`.
    ///
    /// ```compile_fail,E0277
    /// # use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth, dev::DevProvider};
    /// # #[oauth(provider = "dev")] struct Auth;
    /// # #[get_auth] fn get_auth(info: &UserInfo) -> Option<axum::response::Redirect> { None }
    /// # let client = DevProvider::new("http://127.0.0.1:8000").unwrap().client();
    /// let files = tower::service_fn(|_req| async { Ok::<_, std::convert::Infallible>("file") });
    /// let app = Auth.install(axum::Router::new(), client).fallback_service(files);
    /// ```
    pub fn fallback_service<T: AddedBeforeInstall>(self, service: T) -> Self {
        service.never()
    }
}

/// Implemented by nothing: the bound of [`GuardedApp`]'s `route`, `merge`, `nest`, `fallback`
/// (and `_service`) methods, so that adding a route after `install` is a compile error whose
/// message says where the route goes.
///
/// ```compile_fail,E0277
/// fn takes<T: axum_oauth_login::AddedBeforeInstall>(_: T) {}
/// takes(axum::Router::<()>::new());
/// ```
#[diagnostic::on_unimplemented(
    message = "routes cannot be added after `install`: add them to the Router you pass to `install` (they are guarded) or list them in `skip`",
    label = "this would be served without the OAuth guard",
    note = "`install` returns a `GuardedApp`: served like a `Router`, with `.layer(..)` for outer middleware, but closed to new routes"
)]
pub trait AddedBeforeInstall: sealed::Sealed {
    /// Never called: no type implements the trait.
    #[doc(hidden)]
    fn never(self) -> !;
}

mod sealed {
    /// Keeps [`AddedBeforeInstall`](super::AddedBeforeInstall) unimplementable outside the crate.
    pub trait Sealed {}
}

impl<B> Service<Request<B>> for GuardedApp
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = RouteFuture<Infallible>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Service::<Request<B>>::poll_ready(&mut self.router, cx)
    }

    #[inline]
    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        if let Some(peer) = self.peer
            && req
                .extensions()
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .is_none()
        {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
        }
        Service::<Request<B>>::call(&mut self.router, req)
    }
}

/// `axum::serve(listener, app)`: each connection gets a clone of the app, which knows the peer's
/// address when the listener's addresses are `SocketAddr`s (TCP): the rate limit needs it.
impl<L> Service<axum::serve::IncomingStream<'_, L>> for GuardedApp
where
    L: axum::serve::Listener,
    L::Addr: 'static,
{
    type Response = Self;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, stream: axum::serve::IncomingStream<'_, L>) -> Self::Future {
        let address: &dyn std::any::Any = stream.remote_addr();
        let mut app = self.clone();
        app.peer = address.downcast_ref::<std::net::SocketAddr>().copied();
        std::future::ready(Ok(app))
    }
}
