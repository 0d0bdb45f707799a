//! Sessions at scale: several instances sharing one Redis or PostgreSQL store, a restart on a
//! SQLite file, and a store that stalls or goes away (the guard fails closed with 503).
//!
//! Needs Redis on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432 (database `test`, user
//! `postgres`, trust auth), as `.ci/run` starts them: a test whose service is unreachable fails
//! with a message saying so. Every app runs on 127.0.0.1 with its own port; a browser's cookie jar
//! sends the session cookie to all of them (cookies ignore ports), as behind one load balancer.

mod common;

// Faults and races, per store (issue: a logout stays a logout).
#[path = "stores/logout_race.rs"]
mod logout_race;
#[path = "stores/redis_faults.rs"]
mod redis_faults;
#[path = "stores/sql_faults.rs"]
mod sql_faults;
// TLS to the stores: `rediss://`, PostgreSQL's `sslmode=require` and `verify-full`.
#[path = "stores/tls.rs"]
mod tls;

use std::future::ready;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use axum_oauth_login::Client;
use axum_oauth_login::dev::DevProvider;
use axum_oauth_login::prelude::*;
use axum_oauth_login::store::{AnyStore, CACHE_LEASE, key_from_hex};
use common::{Browser, login_page, serve};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower_sessions::Expiry;
use tower_sessions::cookie::{Cookie, CookieJar, Key};

const REDIS_ADDR: &str = "127.0.0.1:6379";
const REDIS_URL: &str = "redis://127.0.0.1:6379";
const POSTGRES_ADDR: &str = "127.0.0.1:5432";
const POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
/// A `SESSION_KEY`, as every instance of one site would share it.
const SESSION_KEY: &str = "8f0c3a5d2e7b41c69a1f0e3d5b7c9a2e4f6d8b0a1c3e5f7a9b2d4c6e8f0a1b3c\
                           5d7e9f1a3b5c7d9e0f2a4b6c8d0e2f4a6b8c9d1e3f5a7b9c0d2e4f6a8b1c3d5e";
const COOKIE: &str = "oauth_session";
/// What one logged-in session record may occupy in a store: the identity, the handle to the token
/// record and the expiry slide's timestamp (the tokens have a record of their own, which the guard
/// never reads).
const MAX_SESSION_BYTES: usize = 256;
/// How long a request may take while the store is stalled or down before the test calls it hung.
const FAIL_CLOSED_WITHIN: Duration = Duration::from_secs(10);

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    (!info.ident.is_empty()).then(|| Redirect::to("/"))
}

fn key() -> Key {
    key_from_hex(SESSION_KEY).expect("a valid key")
}

/// One instance of the site: `base` is its own origin (its public URL).
fn app(client: Client, store: AnyStore, base: &str, key: Key) -> GuardedApp {
    builder(client, store, base, key).install(routes())
}

fn builder(client: Client, store: AnyStore, base: &str, key: Key) -> OAuthBuilder<Auth, AnyStore> {
    Auth.builder(client)
        .session_store(store)
        .public_url(base.parse().expect("a URL"))
        .cookie_key(key)
}

fn routes() -> Router {
    Router::new()
        .route(
            "/",
            get(|Ident(a): Ident| async move { format!("home of {a}") }),
        )
        .route(
            "/private",
            get(|Ident(a): Ident| async move { format!("private for {a}") }),
        )
        .route("/refresh", get(refresh))
        .route("/login", get(login_page))
        .route(
            "/error",
            get(|q: axum::extract::RawQuery| async move {
                format!("error {}", q.0.unwrap_or_default())
            }),
        )
}

/// `GET /refresh`: refreshes the tokens; answers a fingerprint of the new access token (so that a
/// test can count the refreshes), or the error's code with its status.
async fn refresh(tokens: UserTokens) -> (StatusCode, String) {
    use std::hash::{Hash as _, Hasher as _};
    match tokens.refresh().await {
        Ok(fresh) => {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            fresh.access_token().hash(&mut hasher);
            (StatusCode::OK, format!("{:x}", hasher.finish()))
        }
        Err(error) => (
            StatusCode::from_u16(error.status().as_u16()).unwrap(),
            error.code().to_owned(),
        ),
    }
}

/// An instance with a development provider of its own.
async fn instance(store: &AnyStore, key: Key) -> common::Server {
    let store = store.clone();
    serve(|base| {
        let dev = DevProvider::new(&base).expect("a dev provider");
        ready(app(dev.client(), store, &base, key))
    })
    .await
}

/// Logs "ada" in on `server` through its development provider; her `Cookie` header.
async fn log_in_ada(server: &common::Server) -> String {
    let browser = Browser::new();
    let done = browser.dev_login(&server.base, "ada").await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    browser
        .cookie_header(&server.base)
        .expect("a session cookie")
}

/// Opens a store that CI runs; a clear failure when it is not there.
async fn open(url: &str, what: &str) -> AnyStore {
    match tokio::time::timeout(Duration::from_secs(20), AnyStore::from_url(url)).await {
        Ok(Ok(store)) => store,
        Ok(Err(error)) => panic!(
            "{what} at {url} is not reachable ({error}): start it (`.ci/run` does) before these tests"
        ),
        Err(_) => panic!("{what} at {url}: opening the store hung for 20 s"),
    }
}

/// The session id inside an encrypted session cookie (`Cookie` header form).
fn session_id(cookie_header: &str, key: &Key) -> String {
    let value = cookie_header
        .split("; ")
        .find_map(|c| c.strip_prefix(&format!("{COOKIE}=")))
        .unwrap_or_else(|| panic!("no {COOKIE} in {cookie_header:?}"));
    let mut jar = CookieJar::new();
    jar.add_original(Cookie::new(COOKIE, value.to_owned()));
    jar.private(key)
        .get(COOKIE)
        .expect("the cookie decrypts with the shared key")
        .value()
        .to_owned()
}

/// A client without a cookie jar, for replaying a copied `Cookie` header.
fn bare_client() -> reqwest::Client {
    common::http_client()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn status_with_cookie(url: &str, cookie: &str) -> StatusCode {
    get_with_cookie(url, cookie).await.status()
}

/// A `GET` with `cookie`, as a browser's click on one of the app's own links sends it (a page
/// navigation from the same origin: anonymous answers are the 303, `/logout` logs out).
async fn get_with_cookie(url: &str, cookie: &str) -> reqwest::Response {
    bare_client()
        .get(url)
        .header("cookie", cookie)
        .header("accept", common::NAVIGATION_ACCEPT)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap()
}

/// Two instances on different ports share one store, one cookie key and one development provider
/// (served by both; its issuer is instance A's origin). `lease`: how long a change may take to
/// reach the other instance's cache (Redis's [`CACHE_LEASE`]).
async fn shared_store_across_instances(url: &str, what: &str, lease: Duration) -> String {
    let store = open(url, what).await;
    let mut provider = None;
    let a = serve(|base| {
        let dev = DevProvider::new(&base).expect("a dev provider");
        provider = Some(dev.clone());
        ready(app(dev.client(), store.clone(), &base, key()))
    })
    .await;
    let dev = provider.expect("instance A made the provider");
    let b = serve(|base| ready(app(dev.client(), store.clone(), &base, key()))).await;
    let (a_base, b_base) = (&a.base, &b.base);
    assert_ne!(a_base, b_base);

    let browser = Browser::new();
    assert_eq!(
        browser.get(&format!("{b_base}/private")).await.status,
        StatusCode::SEE_OTHER
    );

    // The login starts on A (its /login page and the provider it serves) ...
    let callback = browser.dev_authorize(a_base, "/login", "ada").await;
    let rest = callback
        .strip_prefix(a_base.as_str())
        .unwrap_or_else(|| panic!("the callback {callback} goes back to A ({a_base})"));
    // ... and finishes on B: B finds A's pending login (state, PKCE verifier) in the store.
    let done = browser.get(&format!("{b_base}{rest}")).await;
    assert_eq!(
        done.status,
        StatusCode::SEE_OTHER,
        "callback on B: {}",
        done.body
    );
    assert_eq!(done.location.as_deref(), Some("/"), "callback on B");

    let cookie = browser
        .cookie_header(b_base)
        .expect("B set the session cookie");
    assert_eq!(
        browser.cookie_header(a_base).as_deref(),
        Some(cookie.as_str()),
        "one cookie for both ports"
    );
    let on_b = browser.get(&format!("{b_base}/private")).await;
    assert_eq!(on_b.status, StatusCode::OK, "{}", on_b.body);
    assert!(
        on_b.body.starts_with("private for dev:dev-"),
        "{}",
        on_b.body
    );
    let on_a = browser.get(&format!("{a_base}/private")).await;
    assert_eq!(
        on_a.status,
        StatusCode::OK,
        "A accepts the session B created: {}",
        on_a.body
    );
    assert_eq!(on_a.body, on_b.body, "the same user on both instances");

    // A login made entirely on A is accepted by B.
    let bob = Browser::new();
    let done = bob.dev_login(a_base, "bob").await;
    assert_eq!(
        done.location.as_deref(),
        Some("/"),
        "login on A: {}",
        done.body
    );
    let bob_on_b = bob.get(&format!("{b_base}/private")).await;
    assert_eq!(
        bob_on_b.status,
        StatusCode::OK,
        "B accepts A's cookie: {}",
        bob_on_b.body
    );
    assert_ne!(bob_on_b.body, on_b.body, "two users, two sessions");

    // Logout on B deletes the record: A refuses the session, even from a copied cookie, at the
    // latest one lease later (Redis tells A's cache at once; the lease bounds a late message).
    let out = browser
        .get_with(
            &format!("{b_base}/logout"),
            &[("sec-fetch-site", "same-origin")],
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location.as_deref(), Some("/login"));
    let at_once = status_with_cookie(&format!("{a_base}/private"), &cookie).await;
    println!("{what}: A's answer right after the logout on B: {at_once}");
    tokio::time::sleep(lease).await;
    assert_eq!(
        browser.get(&format!("{a_base}/private")).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        status_with_cookie(&format!("{a_base}/private"), &cookie).await,
        StatusCode::SEE_OTHER
    );
    // Bob's session is untouched.
    assert_eq!(
        bob.get(&format!("{a_base}/private")).await.status,
        StatusCode::OK
    );

    // Bob's session (still logged in) is the one measured.
    session_id(&bob.cookie_header(a_base).expect("bob's cookie"), &key())
}

#[tokio::test]
async fn redis_shares_sessions_between_instances() {
    let id = shared_store_across_instances(REDIS_URL, "Redis", CACHE_LEASE).await;
    let bytes = redis_integer(&["STRLEN", &id]).await;
    let memory = redis_integer(&["MEMORY", "USAGE", &id]).await;
    let ttl = redis_integer(&["TTL", &id]).await;
    println!(
        "one logged-in session in Redis: {bytes} bytes of value (STRLEN), {memory} bytes with key and overhead (MEMORY USAGE), TTL {ttl} s"
    );
    assert!(bytes > 0, "the session {id} is in Redis");
    assert!(
        usize::try_from(bytes).unwrap() < MAX_SESSION_BYTES,
        "{bytes} bytes for one session"
    );
    // Records expire in Redis itself (14 days of inactivity by default).
    assert!((13 * 86_400..=14 * 86_400).contains(&ttl), "TTL {ttl}");
}

/// One connection to the CI's PostgreSQL (database `test`), for looking at or setting up what the
/// store holds.
async fn postgres_connection() -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect(POSTGRES_URL)
        .await
        .expect("PostgreSQL is reachable")
}

/// Instances of a new deployment starting together on an empty database: each creates the tables
/// (one at a time, under an advisory lock) and serves a login. `create ... if not exists` alone
/// races with itself: one instance fails on the catalog's unique index, or tower-sessions-sqlx-store
/// reports success without having created its table.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_starting_together_on_an_empty_postgres_database_all_serve() {
    const INSTANCES: usize = 8;
    let admin = postgres_connection().await;
    let database = format!("oauth_first_start_{}", std::process::id());
    let drop_database = format!("drop database if exists {database} with (force)");
    sqlx::query(&drop_database).execute(&admin).await.unwrap();
    sqlx::query(&format!("create database {database}"))
        .execute(&admin)
        .await
        .unwrap();
    let url = format!("postgres://postgres@127.0.0.1:5432/{database}");
    let start = Arc::new(tokio::sync::Barrier::new(INSTANCES));
    let mut starting = tokio::task::JoinSet::new();
    for _ in 0..INSTANCES {
        let (url, start) = (url.clone(), start.clone());
        starting.spawn(async move {
            start.wait().await;
            tokio::time::timeout(Duration::from_secs(60), AnyStore::from_url(&url)).await
        });
    }
    let mut stores = Vec::new();
    while let Some(opened) = starting.join_next().await {
        match opened.unwrap() {
            Ok(Ok(store)) => stores.push(store),
            Ok(Err(error)) => panic!("an instance could not start: {error}"),
            Err(_) => panic!("an instance did not start within 60 s"),
        }
    }
    for store in &stores {
        let server = instance(store, key()).await;
        let cookie = log_in_ada(&server).await;
        assert_eq!(
            status_with_cookie(&format!("{}/", server.base), &cookie).await,
            StatusCode::OK
        );
    }
    drop(stores);
    sqlx::query(&drop_database).execute(&admin).await.unwrap();
}

#[tokio::test]
async fn postgres_shares_sessions_between_instances() {
    let id = shared_store_across_instances(POSTGRES_URL, "PostgreSQL", Duration::ZERO).await;
    let pool = postgres_connection().await;
    let (bytes, days): (i32, f64) = sqlx::query_as(
        "select octet_length(data), extract(epoch from expiry_date - now())::float8 / 86400 \
         from tower_sessions.session where id = $1",
    )
    .bind(&id)
    .fetch_one(&pool)
    .await
    .expect("the session row");
    println!(
        "one logged-in session in PostgreSQL: {bytes} bytes (octet_length(data)), expires in {days:.2} days"
    );
    assert!(bytes > 0);
    assert!(
        usize::try_from(bytes).unwrap() < MAX_SESSION_BYTES,
        "{bytes} bytes for one session"
    );
    assert!((13.9..=14.0).contains(&days), "expiry in {days} days");
}

#[tokio::test]
async fn sqlite_sessions_survive_a_restart() {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("oauth-stores-{}-{nanos}", std::process::id()));
    let url = format!("sqlite://{}", dir.join("sessions.db").display());
    assert!(url.starts_with("sqlite:///"), "{url}");

    let browser = Browser::new();
    let first = instance(&open(&url, "SQLite").await, key()).await;
    let done = browser.dev_login(&first.base, "ada").await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    let before = browser.get(&format!("{}/private", first.base)).await;
    assert_eq!(before.status, StatusCode::OK);
    let cookie = browser
        .cookie_header(&first.base)
        .expect("a session cookie");
    drop(first);

    // A new process would open the same file with the same key.
    let store = open(&url, "SQLite").await;
    let second = instance(&store, key()).await;
    let after = browser.get(&format!("{}/private", second.base)).await;
    assert_eq!(
        after.status,
        StatusCode::OK,
        "the cookie outlives the restart: {}",
        after.body
    );
    assert_eq!(after.body, before.body, "the same user");

    // The key matters: an instance with another key does not accept the cookie.
    let other = instance(&store, key_from_hex(&"ab".repeat(64)).unwrap()).await;
    assert_eq!(
        status_with_cookie(&format!("{}/private", other.base), &cookie).await,
        StatusCode::SEE_OTHER
    );
    drop((second, other));
    let _ = std::fs::remove_dir_all(dir);
}

/// Every store a test runs against, by URL and name: memory, SQLite (a file in the returned
/// directory, `tag` in its name; remove it after), PostgreSQL, Redis with and without its cache.
fn every_store(tag: &str) -> (std::path::PathBuf, Vec<(String, &'static str)>) {
    let dir = std::env::temp_dir().join(format!(
        "oauth-stores-{tag}-{}-{}",
        std::process::id(),
        common::free_port()
    ));
    let sqlite = format!("sqlite://{}", dir.join("sessions.db").display());
    let stores = [
        ("memory".to_owned(), "memory"),
        (sqlite, "SQLite"),
        (POSTGRES_URL.to_owned(), "PostgreSQL"),
        (REDIS_URL.to_owned(), "Redis"),
        (format!("{REDIS_URL}?cache=off"), "Redis without cache"),
    ];
    (dir, stores.into())
}

/// Back-channel logout in every store: the provider's logout token ends the session (the index
/// was filed at login, in the store), and the same token again is refused (its `jti` is marked
/// in the store).
#[tokio::test]
async fn every_store_ends_sessions_on_back_channel_logout() {
    let (dir, stores) = every_store("bcl");
    for (url, what) in stores {
        let store = open(&url, what).await;
        let (server, dev) =
            common::serve_dev(|dev, base| app(dev.client(), store.clone(), base, key())).await;
        let browser = Browser::new();
        let done = browser.dev_login(&server.base, "ada").await;
        assert_eq!(done.location.as_deref(), Some("/"), "{what}: {}", done.body);
        let private = format!("{}/private", server.base);
        assert_eq!(browser.get(&private).await.status, StatusCode::OK, "{what}");

        let token = dev.logout_token("ada").expect("ada logged in");
        let post = || async {
            bare_client()
                .post(format!("{}/backchannel-logout", server.base))
                .form(&[("logout_token", token.as_str())])
                .send()
                .await
                .unwrap()
                .status()
        };
        assert_eq!(post().await, StatusCode::OK, "{what}");
        let after = browser.get(&private).await;
        assert_eq!(
            after.status,
            StatusCode::SEE_OTHER,
            "{what}: still logged in"
        );
        assert_eq!(post().await, StatusCode::BAD_REQUEST, "{what}: a replay");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// One refresh per session across instances (issue: cluster refresh): two instances share a
/// store and a development provider, which treats a refresh token presented twice as stolen and
/// revokes the whole grant. Concurrent refreshes of one session on both instances all succeed,
/// and the grant survives them (a double spend would fail the next refresh). A provider error
/// keeps the tokens for a later try; `invalid_grant` ends the session on both instances.
#[tokio::test]
async fn every_store_refreshes_once_across_instances() {
    let (dir, stores) = every_store("refresh");
    for (url, what) in stores {
        // The Redis cache keeps a record for its lease: the other instance sees a change after it.
        let lease = if url == REDIS_URL {
            CACHE_LEASE
        } else {
            Duration::ZERO
        };
        let store = open(&url, what).await;
        let mut provider = None;
        let a = serve(|base| {
            let dev = DevProvider::new(&base).expect("a dev provider");
            provider = Some(dev.clone());
            ready(app(dev.client(), store.clone(), &base, key()))
        })
        .await;
        let dev = provider.expect("instance A made the provider");
        let b = serve(|base| ready(app(dev.client(), store.clone(), &base, key()))).await;
        let browser = Browser::new();
        let done = browser.dev_login(&a.base, "ada").await;
        assert_eq!(done.location.as_deref(), Some("/"), "{what}: {}", done.body);

        let mut calls = Vec::new();
        for i in 0..12 {
            let base = if i % 2 == 0 { &a.base } else { &b.base };
            let (browser, url) = (browser.clone(), format!("{base}/refresh"));
            calls.push(tokio::spawn(async move { browser.get(&url).await }));
        }
        let mut tokens = std::collections::HashSet::new();
        for call in calls {
            let page = call.await.unwrap();
            assert_eq!(page.status, StatusCode::OK, "{what}: {}", page.body);
            tokens.insert(page.body);
        }
        let after = browser.get(&format!("{}/refresh", b.base)).await;
        assert_eq!(
            after.status,
            StatusCode::OK,
            "{what}: the grant did not survive the concurrent refreshes: {}",
            after.body
        );
        assert!(!tokens.contains(&after.body), "{what}: a new access token");
        println!(
            "{what}: 12 concurrent refresh requests on two instances made {} refreshes",
            tokens.len()
        );

        // A provider failure keeps the tokens, and the next try spends the same refresh token.
        dev.set_fault(Some(axum_oauth_login::dev::Fault::TokenEndpoint500));
        let failed = browser.get(&format!("{}/refresh", a.base)).await;
        assert_eq!(failed.body, "token_exchange", "{what}");
        dev.set_fault(None);
        for base in [&a.base, &b.base] {
            let page = browser.get(&format!("{base}/private")).await;
            assert_eq!(page.status, StatusCode::OK, "{what}: still logged in");
        }
        let retried = browser.get(&format!("{}/refresh", b.base)).await;
        assert_eq!(retried.status, StatusCode::OK, "{what}: {}", retried.body);

        // The user takes the app's access away at the provider: the session ends everywhere.
        dev.revoke_user("ada");
        let refused = browser.get(&format!("{}/refresh", a.base)).await;
        assert_eq!(refused.body, "invalid_grant", "{what}");
        tokio::time::sleep(lease).await;
        for base in [&a.base, &b.base] {
            let page = browser.get(&format!("{base}/private")).await;
            assert_eq!(
                page.status,
                StatusCode::SEE_OTHER,
                "{what}: logged out on {base}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// "14 days of inactivity" (the builder's default): a user who keeps using the site stays logged
/// in past the window, in the store (Redis's own TTL) and in the browser (the cookie's Max-Age);
/// a user who stops is logged out one window later. Here with a 4-second window.
#[tokio::test]
async fn expiry_slides_while_the_user_is_active() {
    let window = Duration::from_secs(4);
    let store = open(REDIS_URL, "Redis").await;
    let server = serve(|base| {
        let dev = DevProvider::new(&base).expect("a dev provider");
        let expiry = Expiry::OnInactivity(tower_sessions::cookie::time::Duration::seconds(4));
        ready(
            builder(dev.client(), store, &base, key())
                .session_expiry(expiry)
                .install(routes()),
        )
    })
    .await;
    let browser = Browser::new();
    let done = browser.dev_login(&server.base, "ada").await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    let private = format!("{}/private", server.base);
    let started = Instant::now();
    // Active: a request every half second for twice the window.
    while started.elapsed() < 2 * window {
        let page = browser.get(&private).await;
        assert_eq!(
            page.status,
            StatusCode::OK,
            "logged out after {:.1?} of activity (window {window:?})",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let cookie = browser
        .cookie_header(&server.base)
        .expect("a session cookie");
    // Idle for longer than the window: gone from the store, not only from the browser.
    tokio::time::sleep(window + Duration::from_secs(1)).await;
    assert_eq!(
        status_with_cookie(&private, &cookie).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(browser.get(&private).await.status, StatusCode::SEE_OTHER);
}

/// The `Max-Age` of the session cookie a page sets, and the expiry of its record in `store`, in
/// seconds from now.
async fn lifetimes(page: &common::Page, store: &AnyStore) -> (i64, i64) {
    use tower_sessions::SessionStore as _;
    let set_cookie = page
        .headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with(&format!("{COOKIE}=")))
        .unwrap_or_else(|| panic!("no session cookie set: {:?}", page.headers));
    let cookie = Cookie::parse(set_cookie).unwrap();
    let max_age = cookie.max_age().expect("a Max-Age").whole_seconds();
    let id = session_id(&format!("{COOKIE}={}", cookie.value()), &key());
    let record = store
        .load(&id.parse().unwrap())
        .await
        .unwrap()
        .expect("the session's record");
    let expires_in = (record.expiry_date - tower_sessions::cookie::time::OffsetDateTime::now_utc())
        .whole_seconds();
    (max_age, expires_in)
}

/// Anonymous traffic costs bounded memory: an anonymous `/login` hit writes a session that holds
/// only a pending login, and it lives the pending login's 10 minutes, not the 14 days of a
/// logged-in session; the login gives the normal expiry, which a logged-in user's later `/login`
/// keeps.
#[tokio::test]
async fn an_anonymous_login_page_session_lives_ten_minutes_and_the_login_starts_the_normal_expiry()
{
    const PENDING: i64 = 600;
    const NORMAL: i64 = 14 * 24 * 3600;
    let store = open("memory", "memory").await;
    let server = instance(&store, key()).await;
    let browser = Browser::new();
    let page = browser.get(&format!("{}/login", server.base)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let (max_age, expires_in) = lifetimes(&page, &store).await;
    assert_eq!(max_age, PENDING, "the anonymous session's cookie");
    assert!(
        (PENDING - 5..=PENDING).contains(&expires_in),
        "the anonymous session's record expires in {expires_in} s"
    );

    let link = common::first_href(&page.body).expect("a login link");
    let callback = browser.dev_authorize_link(&link, "ada").await;
    let done = browser.get(&callback).await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    let (max_age, expires_in) = lifetimes(&done, &store).await;
    assert_eq!(max_age, NORMAL, "the logged-in session's cookie");
    assert!(
        (NORMAL - 5..=NORMAL).contains(&expires_in),
        "the logged-in session's record expires in {expires_in} s"
    );

    let again = browser.get(&format!("{}/login", server.base)).await;
    assert_eq!(again.status, StatusCode::OK);
    let (max_age, expires_in) = lifetimes(&again, &store).await;
    assert_eq!(
        max_age, NORMAL,
        "a logged-in user's /login keeps the expiry"
    );
    assert!(
        (NORMAL - 5..=NORMAL).contains(&expires_in),
        "{expires_in} s"
    );
}

#[tokio::test]
async fn opening_an_unreachable_store_is_a_prompt_error() {
    let silent_redis = Silent::start().await;
    let silent_postgres = Silent::start().await;
    let urls = [
        "redis://127.0.0.1:1".to_owned(),
        "postgres://postgres@127.0.0.1:1/test".to_owned(),
        // Accepts connections and never answers: only timeouts end the wait.
        format!("redis://127.0.0.1:{}", silent_redis.port),
        format!(
            "postgres://postgres@127.0.0.1:{}/test",
            silent_postgres.port
        ),
    ];
    for url in urls {
        let started = Instant::now();
        let opened = tokio::time::timeout(Duration::from_secs(30), AnyStore::from_url(&url)).await;
        let took = started.elapsed();
        println!("AnyStore::from_url({url}) gave up after {took:.1?}");
        match opened {
            Err(_) => panic!("AnyStore::from_url({url}) hung for 30 s"),
            Ok(Ok(_)) => panic!("AnyStore::from_url({url}) succeeded"),
            Ok(Err(error)) => assert_eq!(error.code(), "session_store", "{url}: {error}"),
        }
        assert!(took < Duration::from_secs(15), "{url}: {took:?}");
    }
}

/// A logged-in user whose store stalls, then stops: every protected request gets 503 in bounded
/// time (fail closed, never through, never hung); when the store is back, the session works again.
/// `lease`: how long a cache may still serve the session once the store stops answering.
async fn store_outage_fails_closed(
    target: &'static str,
    url_of: fn(u16) -> String,
    what: &str,
    lease: Duration,
) {
    let proxy = Proxy::start(0, target).await;
    let port = proxy.port;
    let store = open(&url_of(port), what).await;
    let server = instance(&store, key()).await;
    let private = format!("{}/private", server.base);
    let cookie = log_in_ada(&server).await;
    assert_eq!(status_with_cookie(&private, &cookie).await, StatusCode::OK);

    // Stalled: connections stay open, nothing comes back.
    proxy.set(Mode::Stall);
    tokio::time::sleep(lease).await;
    assert_fails_closed(&private, &cookie, &format!("{what} stalled")).await;
    proxy.set(Mode::Forward);
    assert_recovers(&private, &cookie, &format!("{what} after a stall")).await;

    // Stopped: connections closed, new ones refused.
    drop(proxy);
    tokio::time::sleep(lease).await;
    assert_fails_closed(&private, &cookie, &format!("{what} stopped")).await;
    // Anonymous requests never touch the store: still the login redirect.
    assert_eq!(
        bare_client()
            .get(&private)
            .header("accept", common::NAVIGATION_ACCEPT)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::SEE_OTHER
    );

    let _back = Proxy::start(port, target).await;
    assert_recovers(&private, &cookie, &format!("{what} restarted")).await;
}

async fn assert_fails_closed(url: &str, cookie: &str, what: &str) {
    let started = Instant::now();
    let answer = tokio::time::timeout(FAIL_CLOSED_WITHIN, get_with_cookie(url, cookie)).await;
    let took = started.elapsed();
    println!(
        "{what}: {:?} after {took:.1?}",
        answer.as_ref().map(reqwest::Response::status)
    );
    match answer {
        Ok(res) => {
            assert_eq!(
                res.status(),
                StatusCode::SERVICE_UNAVAILABLE,
                "{what}: fail closed with 503"
            );
            // An outage must not log anyone out: the browser keeps its cookie.
            let set_cookie = res.headers().get(reqwest::header::SET_COOKIE);
            assert!(
                set_cookie.is_none(),
                "{what}: the 503 changes the cookie: {set_cookie:?}"
            );
        }
        Err(_) => panic!(
            "{what}: a protected request hung for {FAIL_CLOSED_WITHIN:?} instead of failing closed"
        ),
    }
}

async fn assert_recovers(url: &str, cookie: &str, what: &str) {
    let started = Instant::now();
    loop {
        let status =
            tokio::time::timeout(Duration::from_secs(5), status_with_cookie(url, cookie)).await;
        if status == Ok(StatusCode::OK) {
            println!(
                "{what}: the session works again after {:.1?}",
                started.elapsed()
            );
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{what}: still {status:?} after 20 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn redis_outage_fails_closed() {
    store_outage_fails_closed(
        REDIS_ADDR,
        |port| format!("redis://127.0.0.1:{port}"),
        "Redis",
        CACHE_LEASE,
    )
    .await;
}

#[tokio::test]
async fn postgres_outage_fails_closed() {
    store_outage_fails_closed(
        POSTGRES_ADDR,
        |port| format!("postgres://postgres@127.0.0.1:{port}/test"),
        "PostgreSQL",
        Duration::ZERO,
    )
    .await;
}

/// A session row locked by another transaction (a long job, a stuck migration): a request that
/// writes the session waits on the lock. It fails closed with 503 once the store's time limit has
/// passed instead of hanging, and the session is intact when the lock goes.
#[tokio::test]
async fn postgres_locked_session_fails_closed_in_bounded_time() {
    let store = open(POSTGRES_URL, "PostgreSQL").await;
    let server = instance(&store, key()).await;
    let cookie = log_in_ada(&server).await;
    let private = format!("{}/private", server.base);
    let logout = format!("{}/logout", server.base);

    let locker = sqlx::PgPool::connect(POSTGRES_URL)
        .await
        .expect("PostgreSQL");
    let mut lock = locker.begin().await.expect("a transaction");
    let locked = sqlx::query("SELECT id FROM tower_sessions.session WHERE id = $1 FOR UPDATE")
        .bind(session_id(&cookie, &key()))
        .fetch_optional(&mut *lock)
        .await
        .expect("the lock");
    assert!(locked.is_some(), "the session's row");
    // Reading is not blocked by a row lock; logging out deletes the row, and is.
    assert_eq!(status_with_cookie(&private, &cookie).await, StatusCode::OK);
    assert_fails_closed(&logout, &cookie, "PostgreSQL row locked").await;

    // PostgreSQL cancelled the abandoned DELETE (its statement timeout is shorter than the
    // store's), so releasing the lock does not let it through late.
    lock.rollback().await.expect("the lock released");
    assert_eq!(status_with_cookie(&private, &cookie).await, StatusCode::OK);
    assert_eq!(
        status_with_cookie(&logout, &cookie).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        status_with_cookie(&private, &cookie).await,
        StatusCode::SEE_OTHER,
        "logged out once the lock is gone"
    );
}

/// Whatever the protected path (a route or none), a stopped store means 503.
#[tokio::test]
async fn guard_never_lets_a_request_through_without_the_store() {
    let proxy = Proxy::start(0, REDIS_ADDR).await;
    let store = open(&format!("redis://127.0.0.1:{}", proxy.port), "Redis").await;
    let server = instance(&store, key()).await;
    let cookie = log_in_ada(&server).await;
    assert_eq!(
        status_with_cookie(&format!("{}/private", server.base), &cookie).await,
        StatusCode::OK,
        "the session is cached"
    );
    drop(proxy);
    tokio::time::sleep(CACHE_LEASE).await;
    for path in ["/", "/private", "/nope"] {
        assert_fails_closed(
            &format!("{}{path}", server.base),
            &cookie,
            &format!("Redis stopped, {path}"),
        )
        .await;
    }
}

/// A logged-in request is served from the instance's cache: no Redis `GET` once the session is
/// cached, one per request with `?cache=off`. Counted on the wire, by a proxy in front of Redis.
#[tokio::test]
async fn redis_cache_serves_logged_in_requests_without_a_round_trip() {
    for (query, per_request) in [("", 0), ("?cache=off", 1)] {
        let proxy = Proxy::start(0, REDIS_ADDR).await;
        let url = format!("redis://127.0.0.1:{}{query}", proxy.port);
        let store = open(&url, "Redis").await;
        let AnyStore::Redis(redis) = &store else {
            panic!("{url}: not a Redis store")
        };
        assert_eq!(redis.is_cached(), query.is_empty(), "{url}");
        let server = instance(&store, key()).await;
        let cookie = log_in_ada(&server).await;
        let private = format!("{}/private", server.base);
        // The first requests after the login read the session from Redis: a load that overlaps
        // the message for the login's own write is not cached.
        let mut warm = false;
        for _ in 0..10 {
            let before = proxy.gets();
            assert_eq!(status_with_cookie(&private, &cookie).await, StatusCode::OK);
            if proxy.gets() == before {
                warm = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(warm, per_request == 0, "{url}: served without a GET");
        let before = proxy.gets();
        for _ in 0..20 {
            assert_eq!(status_with_cookie(&private, &cookie).await, StatusCode::OK);
        }
        let gets = proxy.gets() - before;
        println!("{url}: {gets} Redis GETs for 20 logged-in requests");
        assert_eq!(gets, 20 * per_request, "{url}");
    }
}

/// A session changed in Redis behind the cache's back (deleted, or the whole database flushed,
/// which sends no usable message) is refused one lease later at the latest.
#[tokio::test]
async fn a_change_behind_the_redis_cache_reaches_it_within_the_lease() {
    // Database 7 is this test's own, so that FLUSHDB does not log out other tests' users.
    let store = open(&format!("{REDIS_URL}/7"), "Redis").await;
    let server = instance(&store, key()).await;
    let private = format!("{}/private", server.base);
    for change in ["DEL", "FLUSHDB"] {
        let cookie = log_in_ada(&server).await;
        for _ in 0..3 {
            assert_eq!(status_with_cookie(&private, &cookie).await, StatusCode::OK);
        }
        let id = session_id(&cookie, &key());
        let args: &[&str] = if change == "DEL" {
            &["DEL", &id]
        } else {
            &["FLUSHDB"]
        };
        redis_command(7, args).await;
        let changed = Instant::now();
        let mut served = 0;
        while status_with_cookie(&private, &cookie).await == StatusCode::OK {
            served += 1;
            assert!(
                changed.elapsed() < CACHE_LEASE,
                "{change}: the session is still served {:?} after it went",
                changed.elapsed()
            );
        }
        println!(
            "{change}: refused after {:.1?} ({served} requests served from the cache meanwhile)",
            changed.elapsed()
        );
        tokio::time::sleep(CACHE_LEASE).await;
        assert_eq!(
            status_with_cookie(&private, &cookie).await,
            StatusCode::SEE_OTHER,
            "{change}: and stays refused"
        );
    }
}

// --- Redis without redis-cli: one command over RESP ------------------------------------------

/// Sends one command to the test Redis and returns its integer reply.
async fn redis_integer(args: &[&str]) -> i64 {
    let reply = redis_command(0, args).await;
    reply
        .strip_prefix(':')
        .and_then(|n| n.trim_end().parse().ok())
        .unwrap_or_else(|| panic!("{args:?}: not an integer reply: {reply:?}"))
}

/// Sends one command to database `db` of the test Redis; its reply (the text of a bulk string).
async fn redis_command(db: u8, args: &[&str]) -> String {
    common::redis_command_at(REDIS_ADDR, db, args).await
}

// --- Stores that stall, stop, fail over or lose connections: a TCP proxy in front of the real one --

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Bytes flow both ways.
    Forward,
    /// Connections stay open; no byte goes through (a partition, a frozen server).
    Stall,
    /// Every connection is closed and new ones are refused (the store is stopped).
    Down,
}

/// Which new connections may reach the target; the others wait, accepted but not yet connected
/// (a server that is slow to accept), until they may or their client gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    Open,
    /// Only the Redis session cache's tracking connection (the one that opens with `HELLO 3`).
    TrackerOnly,
    Closed,
}

/// Where connections go and what happens to them; connections opened before a cut are closed.
#[derive(Debug, Clone)]
struct Route {
    mode: Mode,
    gate: Gate,
    target: String,
    cuts: u64,
    tracker_cuts: u64,
}

/// A TCP proxy to a target; dropping it stops the "store".
struct Proxy {
    port: u16,
    route: watch::Sender<Route>,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    /// Redis `GET` commands sent through the proxy so far.
    gets: AtomicUsize,
    /// Tracking connections that reached the target so far.
    trackers: AtomicUsize,
    /// Whether `CLIENT ID` answers to tracking connections are rewritten (see
    /// [`Proxy::pin_client_ids`]), and the id they are rewritten to.
    pin: std::sync::Mutex<Option<Option<i64>>>,
    /// `CLIENT ID` answers rewritten so far.
    pinned: AtomicUsize,
}

impl Proxy {
    /// Listens on `port` (0: any free one).
    async fn start(port: u16, target: impl Into<String>) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("the proxy's port");
        let port = listener.local_addr().unwrap().port();
        let (route, rx) = watch::channel(Route {
            mode: Mode::Forward,
            gate: Gate::Open,
            target: target.into(),
            cuts: 0,
            tracker_cuts: 0,
        });
        let counts = Arc::new(Counts::default());
        tokio::spawn(accept(listener, rx, counts.clone()));
        Self {
            port,
            route,
            counts,
        }
    }

    fn gets(&self) -> usize {
        self.counts.gets.load(Ordering::SeqCst)
    }

    /// Tracking connections that reached the target so far.
    fn trackers(&self) -> usize {
        self.counts.trackers.load(Ordering::SeqCst)
    }

    fn set(&self, mode: Mode) {
        self.route.send_modify(|route| route.mode = mode);
    }

    fn gate(&self, gate: Gate) {
        self.route.send_modify(|route| route.gate = gate);
    }

    /// Closes every connection open now; new ones go through.
    fn cut(&self) {
        self.route.send_modify(|route| route.cuts += 1);
    }

    /// Closes the tracking connections open now.
    fn cut_trackers(&self) {
        self.route.send_modify(|route| route.tracker_cuts += 1);
    }

    /// Sends new connections to `target` and closes the open ones, as a virtual IP or a DNS name
    /// moved to another server does.
    fn switch(&self, target: impl Into<String>) {
        let target = target.into();
        self.route.send_modify(|route| {
            route.target = target;
            route.cuts += 1;
        });
    }

    /// From now on, every tracking connection's `CLIENT ID` answers (alone or inside `EXEC`) say
    /// the id of the first tracking connection: as if Redis gave a reconnected tracker its old id
    /// back (ids start again from 1 when Redis restarts). Call it before the store connects.
    fn pin_client_ids(&self) {
        *self.counts.pin.lock().unwrap() = Some(None);
    }

    /// `CLIENT ID` answers rewritten so far.
    fn pinned(&self) -> usize {
        self.counts.pinned.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.set(Mode::Down);
    }
}

async fn accept(listener: TcpListener, rx: watch::Receiver<Route>, counts: Arc<Counts>) {
    let mut stop = rx.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((inbound, _)) = accepted else { return };
                tokio::spawn(pipe(inbound, rx.clone(), counts.clone()));
            }
            _ = stop.wait_for(|r| r.mode == Mode::Down) => return,
        }
    }
}

const GET: &[u8] = b"$3\r\nGET\r\n";

fn count_gets(counts: &Counts, bytes: &[u8]) {
    let seen = bytes.windows(GET.len()).filter(|w| *w == GET).count();
    counts.gets.fetch_add(seen, Ordering::SeqCst);
}

async fn pipe(mut inbound: TcpStream, mut rx: watch::Receiver<Route>, counts: Arc<Counts>) {
    // The client speaks first (Redis and PostgreSQL alike): its first bytes tell the Redis
    // session cache's tracking connection (RESP3, `HELLO 3`) from the others.
    let mut first = vec![0u8; 16 * 1024];
    let n = tokio::select! {
        read = inbound.read(&mut first) => match read {
            Ok(n) if n > 0 => n,
            _ => return,
        },
        _ = rx.wait_for(|r| r.mode == Mode::Down) => return,
    };
    first.truncate(n);
    count_gets(&counts, &first);
    // (fred sends it inline: `HELLO 3`.)
    let tracker = first.to_ascii_uppercase().starts_with(b"HELLO 3");
    // Held at the gate until it opens for this kind of connection, or the client gives up.
    let route = loop {
        let route = rx.borrow_and_update().clone();
        if route.mode == Mode::Down {
            return;
        }
        if route.gate == Gate::Open || (tracker && route.gate == Gate::TrackerOnly) {
            break route;
        }
        let mut more = [0u8; 1024];
        tokio::select! {
            read = inbound.read(&mut more) => match read {
                Ok(n) if n > 0 => first.extend_from_slice(&more[..n]),
                _ => return,
            },
            changed = rx.changed() => if changed.is_err() { return },
        }
    };
    let Ok(outbound) = TcpStream::connect(&route.target).await else {
        return;
    };
    if tracker {
        counts.trackers.fetch_add(1, Ordering::SeqCst);
    }
    let pin = tracker && counts.pin.lock().unwrap().is_some();
    let (mut in_read, mut in_write) = inbound.into_split();
    let (mut out_read, mut out_write) = outbound.into_split();
    let cut = |r: &Route| {
        r.mode == Mode::Down
            || r.cuts != route.cuts
            || (tracker && r.tracker_cuts != route.tracker_cuts)
    };
    let mut closed = rx.clone();
    if pin {
        let pending = std::sync::Mutex::new(Pending::default());
        let requests = Frames::new(first, &pending, &counts, true);
        let replies = Frames::new(Vec::new(), &pending, &counts, false);
        tokio::select! {
            _ = requests.forward(&mut in_read, &mut out_write, rx.clone()) => {}
            _ = replies.forward(&mut out_read, &mut in_write, rx.clone()) => {}
            _ = closed.wait_for(cut) => {}
        }
    } else {
        let mut stall = rx.clone();
        tokio::select! {
            _ = async {
                if stall.wait_for(|r| r.mode != Mode::Stall).await.is_err()
                    || out_write.write_all(&first).await.is_err()
                {
                    return;
                }
                let _ = forward(&mut in_read, &mut out_write, rx.clone(), Some(&counts)).await;
            } => {}
            _ = forward(&mut out_read, &mut in_write, rx.clone(), None) => {}
            _ = closed.wait_for(cut) => {}
        }
    }
}

async fn forward(
    from: &mut (impl tokio::io::AsyncRead + Unpin),
    to: &mut (impl tokio::io::AsyncWrite + Unpin),
    mut rx: watch::Receiver<Route>,
    counts: Option<&Counts>,
) -> std::io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = from.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        if let Some(counts) = counts {
            count_gets(counts, &buf[..n]);
        }
        // A stalled store holds every byte until it is let go (or stopped).
        if rx.wait_for(|r| r.mode != Mode::Stall).await.is_err() {
            return Ok(());
        }
        to.write_all(&buf[..n]).await?;
    }
}

/// The answers a tracking connection's requests are waiting for, in order: whether each is a
/// `CLIENT ID`, or for an `EXEC`, which of the queued commands were.
#[derive(Default)]
struct Pending {
    answers: std::collections::VecDeque<Answer>,
    /// The commands queued since `MULTI`.
    queued: Option<Vec<bool>>,
}

enum Answer {
    One { client_id: bool },
    Exec(Vec<bool>),
}

/// One direction of a tracking connection, frame by frame (RESP3, fred's own codec).
struct Frames<'a> {
    buffer: Vec<u8>,
    pending: &'a std::sync::Mutex<Pending>,
    counts: &'a Counts,
    requests: bool,
}

impl<'a> Frames<'a> {
    fn new(
        buffer: Vec<u8>,
        pending: &'a std::sync::Mutex<Pending>,
        counts: &'a Counts,
        requests: bool,
    ) -> Self {
        Self {
            buffer,
            pending,
            counts,
            requests,
        }
    }

    async fn forward(
        mut self,
        from: &mut (impl tokio::io::AsyncRead + Unpin),
        to: &mut (impl tokio::io::AsyncWrite + Unpin),
        mut rx: watch::Receiver<Route>,
    ) -> std::io::Result<()> {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let out = self.complete_frames();
            if !out.is_empty() {
                if rx.wait_for(|r| r.mode != Mode::Stall).await.is_err() {
                    return Ok(());
                }
                to.write_all(&out).await?;
            }
            let n = from.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            if self.requests {
                count_gets(self.counts, &buf[..n]);
            }
            self.buffer.extend_from_slice(&buf[..n]);
        }
    }

    /// The bytes of the complete frames buffered, answers rewritten; requests noted first.
    fn complete_frames(&mut self) -> Vec<u8> {
        use redis_protocol::resp3::decode::complete::decode;
        use redis_protocol::resp3::types::OwnedFrame;
        let mut out = Vec::new();
        loop {
            // An inline command (fred's `HELLO 3`): one line.
            if self.requests && self.buffer.first().is_some_and(|b| *b != b'*') {
                let Some(end) = self.buffer.windows(2).position(|w| w == b"\r\n") else {
                    break;
                };
                out.extend(self.buffer.drain(..end + 2));
                let answer = Answer::One { client_id: false };
                self.pending.lock().unwrap().answers.push_back(answer);
                continue;
            }
            let Some((frame, used)) = decode(&self.buffer).expect("RESP3 on the wire") else {
                break;
            };
            let raw: Vec<u8> = self.buffer.drain(..used).collect();
            let mut pending = self.pending.lock().unwrap();
            if self.requests {
                let words = command_words(&frame);
                let word = |i: usize| words.get(i).map_or("", String::as_str);
                let client_id = word(0) == "CLIENT" && word(1) == "ID";
                let answer = match (word(0), pending.queued.as_mut()) {
                    ("EXEC", Some(_)) => Answer::Exec(pending.queued.take().unwrap_or_default()),
                    ("DISCARD", Some(_)) => {
                        pending.queued = None;
                        Answer::One { client_id: false }
                    }
                    (_, Some(queued)) => {
                        queued.push(client_id);
                        Answer::One { client_id: false }
                    }
                    ("MULTI", None) => {
                        pending.queued = Some(Vec::new());
                        Answer::One { client_id: false }
                    }
                    (_, None) => Answer::One { client_id },
                };
                pending.answers.push_back(answer);
                out.extend_from_slice(&raw);
                continue;
            }
            // Out-of-band messages (invalidations) answer nothing.
            if matches!(frame, OwnedFrame::Push { .. }) {
                out.extend_from_slice(&raw);
                continue;
            }
            let rewritten = match (pending.answers.pop_front(), frame) {
                (Some(Answer::One { client_id: true }), frame) => self.pin(frame),
                (Some(Answer::Exec(queued)), OwnedFrame::Array { data, attributes }) => {
                    let data = data
                        .into_iter()
                        .zip(queued.into_iter().chain(std::iter::repeat(false)))
                        .map(|(frame, client_id)| if client_id { self.pin(frame) } else { frame })
                        .collect();
                    OwnedFrame::Array { data, attributes }
                }
                (_, frame) => frame,
            };
            use redis_protocol::resp3::types::Resp3Frame as _;
            let mut encoded = vec![0u8; rewritten.encode_len(false)];
            redis_protocol::resp3::encode::complete::encode(&mut encoded, &rewritten, false)
                .expect("RESP3 encodes");
            out.extend_from_slice(&encoded);
        }
        out
    }

    /// A `CLIENT ID` answer: the first one seen is kept, later ones say it again.
    fn pin(
        &self,
        frame: redis_protocol::resp3::types::OwnedFrame,
    ) -> redis_protocol::resp3::types::OwnedFrame {
        use redis_protocol::resp3::types::OwnedFrame;
        let OwnedFrame::Number { data, attributes } = frame else {
            return frame;
        };
        let mut pin = self.counts.pin.lock().unwrap();
        let Some(first) = pin.as_mut() else {
            return OwnedFrame::Number { data, attributes };
        };
        let pinned = *first.get_or_insert(data);
        if pinned != data {
            self.counts.pinned.fetch_add(1, Ordering::SeqCst);
        }
        OwnedFrame::Number {
            data: pinned,
            attributes,
        }
    }
}

/// A request's words, upper-cased: `["CLIENT", "ID"]`.
fn command_words(frame: &redis_protocol::resp3::types::OwnedFrame) -> Vec<String> {
    use redis_protocol::resp3::types::OwnedFrame;
    let OwnedFrame::Array { data, .. } = frame else {
        return Vec::new();
    };
    data.iter()
        .take(2)
        .map(|word| match word {
            OwnedFrame::BlobString { data, .. } => String::from_utf8_lossy(data).to_uppercase(),
            _ => String::new(),
        })
        .collect()
}

/// A server that accepts connections and never says a word.
struct Silent {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Silent {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        Self { port, task }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.task.abort();
    }
}
