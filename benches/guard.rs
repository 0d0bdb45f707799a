//! Micro-benchmarks of the guard (issue "the guard costs nothing").
//!
//! - `path_patterns`: `PathPatterns::matches` on an exact path, a prefix, a regular expression and a miss,
//!   with a typical pattern set;
//! - `oneshot`: one request through the whole installed app (`tower::ServiceExt::oneshot`, no
//!   network): a skipped path, an anonymous request to a protected route (303), a logged-in one
//!   (200), next to a bare router and a tower-sessions router reading one key with the same
//!   session cookie settings; and the parts of the stack one at a time (an empty
//!   `axum::middleware::from_fn`, the session layer without a cookie, a logged-in session
//!   without the tokens: `keep_tokens(false)`); and, when Redis answers at `REDIS_URL` (default
//!   127.0.0.1:6379), a logged-in request with sessions in Redis.
//!
//! The logged-in cookie comes from a real login through the embedded development provider (the
//! same app served on 127.0.0.1 for the duration of the login, sharing its in-memory store).
//!
//! `cargo bench --bench guard` (add `-- --quick` for a short run). `guard --count <case> <n>` sends
//! `n` requests of one case, for `scripts/instructions.sh` (`<case>_with_recorder`: with a metrics
//! recorder installed).

#[path = "fixture/mod.rs"]
mod fixture;

#[path = "../tests/common/mod.rs"]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::convert::Infallible;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::future::RouteFuture;
use axum::routing::get;
use axum_oauth_login::paths::PathPatterns;
use axum_oauth_login::prelude::*;
use axum_oauth_login::store::AnyStore;
use criterion::{Criterion, criterion_group};
use tower::{Service, ServiceExt as _};
use tower_sessions::cookie::{SameSite, time};
use tower_sessions::{Expiry, MemoryStore, SessionManagerLayer};

/// A public-path set as an app might have: the auth's own paths, assets, and a few regexes.
const SKIP: [&str; 9] = [
    "/login",
    "/error",
    "/redirect",
    "/logout",
    r"/favicon\.ico",
    r"/static/.*",
    r"/assets/.*",
    r"/img/\d+\.png",
    r"/api/v\d+/health",
];

fn path_patterns(c: &mut Criterion) {
    let set = PathPatterns::new(SKIP).expect("valid patterns");
    let mut group = c.benchmark_group("path_patterns");
    for (name, path, expected) in [
        ("exact", "/login", true),
        ("prefix", "/static/css/app.css", true),
        ("regex", "/img/42.png", true),
        ("miss", "/dashboard/settings", false),
    ] {
        assert_eq!(set.matches(path), expected, "{path}");
        group.bench_function(name, |b| b.iter(|| set.matches(black_box(path))));
    }
    group.finish();
}

/// `store`: `None` is the builder's default, the library's `store::MemoryStore`.
fn guarded(base: &str, keep_tokens: bool, store: Option<AnyStore>) -> App {
    let builder = fixture::builder(base).keep_tokens(keep_tokens);
    App::Guarded(match store {
        Some(store) => builder.session_store(store).install(fixture::routes()),
        None => builder.install(fixture::routes()),
    })
}

/// An installed app or a plain router, measured side by side. Both answer with axum's
/// `RouteFuture`: one match per request, nothing else.
#[derive(Clone)]
enum App {
    Plain(Router),
    Guarded(GuardedApp),
}

impl App {
    /// `with_state(())` turns handlers into routes once, as `axum::serve` does; a plain `Router`
    /// would do that on every request (`install` does it for the guarded app).
    fn plain(router: Router) -> Self {
        Self::Plain(router.with_state(()))
    }
}

impl Service<Request<Body>> for App {
    type Response = Response;
    type Error = Infallible;
    type Future = RouteFuture<Infallible>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        match self {
            Self::Plain(router) => router.call(req),
            Self::Guarded(app) => app.call(req),
        }
    }
}

/// `axum::serve(listener, app)`, for the login that obtains the cookie.
impl<L: axum::serve::Listener> Service<axum::serve::IncomingStream<'_, L>> for App {
    type Response = Self;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: axum::serve::IncomingStream<'_, L>) -> Self::Future {
        std::future::ready(Ok(self.clone()))
    }
}

/// Redis at `REDIS_URL` (default 127.0.0.1:6379), if it answers; `query`: `""` or `"?cache=off"`.
async fn redis(query: &str) -> Option<AnyStore> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let url = format!("{url}{query}");
    let opened = tokio::time::timeout(std::time::Duration::from_secs(5), AnyStore::from_url(&url));
    match opened.await {
        Ok(Ok(store)) => Some(store),
        _ => {
            eprintln!("no Redis at {url}: the guard_logged_in_redis cases are left out");
            None
        }
    }
}

/// The library's session cookie settings.
fn session_layer() -> SessionManagerLayer<MemoryStore> {
    SessionManagerLayer::new(MemoryStore::default())
        .with_name("oauth_session")
        .with_same_site(SameSite::Lax)
        .with_http_only(true)
        .with_secure(false)
        .with_expiry(Expiry::OnInactivity(time::Duration::days(14)))
}

/// tower-sessions alone; `/setup` stores the key.
fn sessions() -> App {
    async fn read(session: Session) -> Response {
        match session.get::<String>("auth").await {
            Ok(Some(_)) => "hello".into_response(),
            Ok(None) => Redirect::to("/login").into_response(),
            Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        }
    }
    async fn setup(session: Session) -> StatusCode {
        match session.insert("auth", "dev-bench").await {
            Ok(()) => StatusCode::OK,
            Err(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
    App::plain(
        Router::new()
            .route("/protected", get(read))
            .route("/setup", get(setup))
            .layer(session_layer()),
    )
}

/// Serves `app` on 127.0.0.1 (built for its own origin) and returns it with a session cookie
/// obtained over HTTP by `obtain`.
async fn with_cookie<F, G>(make: F, obtain: G) -> (App, String)
where
    F: FnOnce(&str) -> App,
    G: AsyncFnOnce(&common::Browser, &str),
{
    let mut app = None;
    let server = common::serve(|base| {
        let router = make(&base);
        app = Some(router.clone());
        std::future::ready(router)
    })
    .await;
    let browser = common::Browser::new();
    obtain(&browser, &server.base).await;
    let cookie = browser
        .cookie_header(&server.base)
        .expect("a session cookie");
    (app.expect("the app"), cookie)
}

fn request(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut req = Request::get(path);
    if let Some(cookie) = cookie {
        req = req.header(header::COOKIE, cookie);
    }
    req.body(Body::empty()).expect("a request")
}

/// One request of the `oneshot` group: its name, the app, the path, the cookie and the status.
struct Case {
    name: &'static str,
    app: App,
    path: &'static str,
    cookie: Option<String>,
    expected: StatusCode,
}

impl Case {
    fn request(&self) -> Request<Body> {
        request(self.path, self.cookie.as_deref())
    }
}

/// Builds every case (logging in where one needs a session) and checks each answers as expected.
fn cases(rt: &tokio::runtime::Runtime) -> Vec<Case> {
    let login = async |b: &common::Browser, base: &str| {
        let done = b.dev_login(base, "bench").await;
        assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    };
    let (guard_app, guard_cookie) =
        rt.block_on(with_cookie(|base| guarded(base, true, None), login));
    let (lean_app, lean_cookie) =
        rt.block_on(with_cookie(|base| guarded(base, false, None), login));
    let (sessions_app, sessions_cookie) = rt.block_on(with_cookie(
        |_| sessions(),
        async |b, base| {
            assert_eq!(b.get(&format!("{base}/setup")).await.status, StatusCode::OK);
        },
    ));
    let bare_router = Router::new().route("/", get(|| async { "hello" }));
    // The parts of the guarded stack, one at a time.
    let passthrough = App::plain(bare_router.clone().layer(axum::middleware::from_fn(
        |req: Request<Body>, next: Next| next.run(req),
    )));
    let session_layer_only = App::plain(bare_router.clone().layer(session_layer()));
    let bare = App::plain(bare_router);
    let case = |name, app: &App, path, cookie: Option<&String>, expected| Case {
        name,
        app: app.clone(),
        path,
        cookie: cookie.cloned(),
        expected,
    };
    let redis_case = |query| {
        rt.block_on(redis(query)).map(|store| {
            rt.block_on(with_cookie(
                move |base| guarded(base, true, Some(store)),
                login,
            ))
        })
    };
    let redis = redis_case("");
    let redis_direct = redis_case("?cache=off");
    let mut cases = vec![
        case("bare_hello", &bare, "/", None, StatusCode::OK),
        case(
            "from_fn_passthrough",
            &passthrough,
            "/",
            None,
            StatusCode::OK,
        ),
        case(
            "session_layer_no_cookie",
            &session_layer_only,
            "/",
            None,
            StatusCode::OK,
        ),
        case(
            "tower_sessions_read_one_key",
            &sessions_app,
            "/protected",
            Some(&sessions_cookie),
            StatusCode::OK,
        ),
        case("guard_skipped", &guard_app, "/public", None, StatusCode::OK),
        case(
            "guard_anonymous",
            &guard_app,
            "/protected",
            None,
            StatusCode::SEE_OTHER,
        ),
        case(
            "guard_logged_in",
            &guard_app,
            "/protected",
            Some(&guard_cookie),
            StatusCode::OK,
        ),
        case(
            "guard_logged_in_keep_tokens_false",
            &lean_app,
            "/protected",
            Some(&lean_cookie),
            StatusCode::OK,
        ),
    ];
    for (name, redis) in [
        ("guard_logged_in_redis", &redis),
        ("guard_logged_in_redis_direct", &redis_direct),
    ] {
        if let Some((redis_app, redis_cookie)) = redis {
            cases.push(case(
                name,
                redis_app,
                "/protected",
                Some(redis_cookie),
                StatusCode::OK,
            ));
        }
    }
    for case in &cases {
        let response = rt.block_on(case.app.clone().oneshot(case.request()));
        assert_eq!(
            response.expect("infallible").status(),
            case.expected,
            "{}",
            case.name
        );
    }
    cases
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

fn oneshot(c: &mut Criterion) {
    let rt = runtime();
    let cases = cases(&rt);
    let mut group = c.benchmark_group("oneshot");
    for case in &cases {
        group.bench_function(case.name, |b| {
            b.to_async(&rt)
                .iter(|| case.app.clone().oneshot(case.request()));
        });
    }
    group.finish();
}

/// `guard --count <case> <n>`: sends `n` requests of one case and exits, for
/// `scripts/instructions.sh`, which counts the instructions of [`requests`] under callgrind.
/// Prints the heap allocations per request. `<case>_with_recorder` runs `<case>` with the
/// Prometheus exporter's recorder installed, so that the metrics are recorded, not no-ops.
fn count(case: &str, n: u32) {
    let case = match case.strip_suffix("_with_recorder") {
        Some(case) => {
            metrics_exporter_prometheus::PrometheusBuilder::new()
                .install_recorder()
                .expect("the only recorder of this process");
            case
        }
        None => case,
    };
    let rt = runtime();
    let cases = cases(&rt);
    let Some(case) = cases.iter().find(|c| c.name == case) else {
        let names: Vec<_> = cases.iter().map(|c| c.name).collect();
        panic!("unknown case {case}; one of {names:?}");
    };
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    requests(&rt, case, n);
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    println!(
        "allocations per request: {:.2}",
        allocations as f64 / f64::from(n.max(1))
    );
}

/// The measured loop (callgrind collects inside this function only).
#[inline(never)]
fn requests(rt: &tokio::runtime::Runtime, case: &Case, n: u32) {
    rt.block_on(async {
        for _ in 0..n {
            let response = case.app.clone().oneshot(case.request()).await;
            black_box(response.expect("infallible"));
        }
    });
}

/// Counts heap allocations, for `--count`.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: delegates to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above, with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

criterion_group!(benches, path_patterns, oneshot);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--count") {
        let (Some(case), Some(Ok(n))) = (args.get(at + 1), args.get(at + 2).map(|n| n.parse()))
        else {
            panic!("usage: guard --count <case> <requests>");
        };
        count(case, n);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
