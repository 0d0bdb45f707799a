//! The servers that `scripts/bench.sh` loads with `wrk`, one variant per process:
//!
//! | variant | what | routes |
//! |---|---|---|
//! | `hello` | bare Axum | `GET /` |
//! | `sessions` | Axum + tower-sessions; the handler reads one key | `GET /protected`, `GET /setup` |
//! | `guard-memory` | this library's guard, the builder's default in-memory store (the library's `store::MemoryStore`; `sessions` uses tower-sessions' `MemoryStore`) | `GET /protected`, `GET /public` (skipped) |
//! | `guard-redis` | the same, sessions in Redis (127.0.0.1:6379 or `REDIS_URL`) | as above |
//! | `guard-redis-direct` | the same, Redis with `?cache=off` (a `GET` per request) | as above |
//! | `axum-login` | axum-login 0.18's `login_required!` | `GET /protected`, `GET /setup` |
//!
//! Every variant answers `hello` on its measured routes and uses the same session cookie settings
//! (name `oauth_session`, `SameSite=Lax`, `HttpOnly`, 14 days of inactivity, not signed).
//!
//! `servers <variant> [port]` binds 127.0.0.1 (port 0: any), prints `listening on <url>`, then
//! obtains a valid session cookie over HTTP and prints `cookie: <Cookie header>`, then `ready`.
//! The guard variants log in for real: `/login` page, the embedded development provider's form,
//! the callback (state, PKCE, code exchange, ID token). `sessions` and `axum-login` have a setup
//! route that stores the session the way each library does it (a plain key; `AuthSession::login`).
//!
//! Run by `cargo bench` without a variant, it prints this usage and exits.

#[path = "fixture/mod.rs"]
mod fixture;

#[path = "../tests/common/mod.rs"]
mod common;

use std::convert::Infallible;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_login::{AuthManagerLayerBuilder, AuthSession, AuthUser, AuthnBackend, login_required};
use axum_oauth_login::prelude::*;
use axum_oauth_login::store::AnyStore;
use tower_sessions::cookie::{SameSite, time};
use tower_sessions::{Expiry, MemoryStore, SessionManagerLayer, SessionStore};

const USAGE: &str =
    "usage: servers <hello|sessions|guard-memory|guard-redis|guard-redis-direct|axum-login> [port]";

/// The cookie settings of every variant: the library's defaults without a public https URL.
fn session_layer<S: SessionStore + Clone>(store: S) -> SessionManagerLayer<S> {
    SessionManagerLayer::new(store)
        .with_name("oauth_session")
        .with_same_site(SameSite::Lax)
        .with_http_only(true)
        .with_secure(false)
        .with_expiry(Expiry::OnInactivity(time::Duration::days(14)))
}

async fn hello() -> &'static str {
    "hello"
}

// --- (a) bare Axum ---------------------------------------------------------------------------

fn bare() -> Router {
    Router::new().route("/", get(hello))
}

// --- (b) tower-sessions, one key ---------------------------------------------------------------

async fn read_one_key(session: Session) -> Response {
    match session.get::<String>("auth").await {
        Ok(Some(_)) => "hello".into_response(),
        Ok(None) => Redirect::to("/login").into_response(),
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

async fn store_one_key(session: Session) -> StatusCode {
    match session.insert("auth", "dev-bench").await {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

fn sessions() -> Router {
    Router::new()
        .route("/protected", get(read_one_key))
        .route("/setup", get(store_one_key))
        .layer(session_layer(MemoryStore::default()))
}

// --- (c), (e), (f) this library's guard ----------------------------------------------------------

/// `store`: `None` is the builder's default, the library's `store::MemoryStore` (bounded,
/// update-only; `sessions` keeps tower-sessions' `MemoryStore`).
fn guarded(base: &str, store: Option<AnyStore>) -> GuardedApp {
    let builder = fixture::builder(base);
    match store {
        Some(store) => builder.session_store(store).install(fixture::routes()),
        None => builder.install(fixture::routes()),
    }
}

// --- (d) axum-login 0.18 ------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct User {
    id: u64,
    hash: Vec<u8>,
}

impl AuthUser for User {
    type Id = u64;

    fn id(&self) -> u64 {
        self.id
    }

    fn session_auth_hash(&self) -> &[u8] {
        &self.hash
    }
}

/// One user, in memory: the cheapest backend axum-login can have.
#[derive(Debug, Clone)]
struct Backend {
    user: User,
}

impl AuthnBackend for Backend {
    type User = User;
    type Credentials = ();
    type Error = Infallible;

    async fn authenticate(&self, (): ()) -> Result<Option<User>, Infallible> {
        Ok(Some(self.user.clone()))
    }

    async fn get_user(&self, id: &u64) -> Result<Option<User>, Infallible> {
        Ok((*id == self.user.id).then(|| self.user.clone()))
    }
}

async fn axum_login_setup(mut auth: AuthSession<Backend>) -> StatusCode {
    let Ok(Some(user)) = auth.authenticate(()).await else {
        return StatusCode::UNAUTHORIZED;
    };
    match auth.login(&user).await {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

fn axum_login() -> Router {
    let backend = Backend {
        user: User {
            id: 1,
            hash: b"a password hash of 32 bytes.....".to_vec(),
        },
    };
    Router::new()
        .route("/protected", get(hello))
        .route_layer(login_required!(Backend, login_url = "/login"))
        .route("/setup", get(axum_login_setup))
        .route("/login", get(|| async { "log in" }))
        .layer(AuthManagerLayerBuilder::new(backend, session_layer(MemoryStore::default())).build())
}

// --- main ---------------------------------------------------------------------------------------

/// A session cookie obtained over HTTP, checked on `/protected`.
async fn cookie(variant: &str, base: &str) -> String {
    let browser = common::Browser::new();
    if variant.starts_with("guard-") {
        let done = browser.dev_login(base, "bench").await;
        assert_eq!(
            done.location.as_deref(),
            Some("/"),
            "login failed: {}",
            done.body
        );
    } else {
        let setup = browser.get(&format!("{base}/setup")).await;
        assert_eq!(setup.status, StatusCode::OK, "setup failed: {}", setup.body);
    }
    let page = browser.get(&format!("{base}/protected")).await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "{variant}: /protected refused the session"
    );
    assert_eq!(page.body, "hello");
    browser.cookie_header(base).expect("a session cookie")
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(variant) = args.first().filter(|a| !a.starts_with('-')).cloned() else {
        println!("{USAGE}");
        return;
    };
    let port: u16 = args
        .get(1)
        .map_or(Ok(0), |p| p.parse())
        .expect("a port number");
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("a port to listen on");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    // One type for every variant. `with_state(())` turns a plain router's handlers into routes
    // once, as `axum::serve` does per connection (`install` does it for the guarded app).
    let plain = |router: Router| router.with_state::<()>(()).into_make_service();
    let app = match variant.as_str() {
        "hello" => plain(bare()),
        "sessions" => plain(sessions()),
        "guard-memory" => guarded(&base, None).into_make_service(),
        "guard-redis" | "guard-redis-direct" => {
            let mut url =
                std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
            if variant == "guard-redis-direct" {
                url.push_str("?cache=off");
            }
            let store = AnyStore::from_url(&url)
                .await
                .unwrap_or_else(|e| panic!("Redis at {url}: {e}"));
            guarded(&base, Some(store)).into_make_service()
        }
        "axum-login" => plain(axum_login()),
        other => {
            eprintln!("unknown variant {other}\n{USAGE}");
            std::process::exit(2);
        }
    };
    println!("listening on {base}");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    if variant != "hello" {
        println!("cookie: {}", cookie(&variant, &base).await);
    }
    println!("ready");
    match server.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("server: {e}"),
        Err(e) => panic!("server task: {e}"),
    }
}
