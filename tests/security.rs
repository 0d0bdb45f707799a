//! Security properties that need a whole app: fail-closed session stores, and no secret in logs.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use axum_oauth_login::SameSite;
use axum_oauth_login::dev::DevProvider;
use axum_oauth_login::prelude::*;
use common::{Browser, login_page, serve};
use reqwest::StatusCode;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

#[oauth(provider = "dev", skip = ["/public"])]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

async fn show_tokens(tokens: UserTokens) -> String {
    let tokens = tokens.get().await.unwrap();
    format!(
        "{}\n{}\n{}",
        tokens.access_token(),
        tokens.refresh_token().unwrap_or(""),
        tokens.id_token().unwrap_or("")
    )
}

fn routes() -> Router {
    common::hello_routes()
        .route("/login", get(login_page))
        .route("/tokens", get(show_tokens))
}

/// A store whose backend is down.
#[derive(Debug, Clone)]
struct DownStore;

#[async_trait]
impl SessionStore for DownStore {
    async fn save(&self, _: &Record) -> session_store::Result<()> {
        Err(session_store::Error::Backend("down".into()))
    }
    async fn load(&self, _: &Id) -> session_store::Result<Option<Record>> {
        Err(session_store::Error::Backend("down".into()))
    }
    async fn delete(&self, _: &Id) -> session_store::Result<()> {
        Err(session_store::Error::Backend("down".into()))
    }
}

#[tokio::test]
async fn a_store_that_is_down_fails_closed() {
    let server = serve(|base| async move {
        let dev = DevProvider::new(&base).unwrap();
        Auth.builder(dev.client())
            .session_store(DownStore)
            .install(routes())
    })
    .await;
    let base = &server.base;
    let http = common::http_client()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // A request carrying a session cookie makes the guard load the record: the store fails.
    let cookie = "oauth_session=AAAAAAAAAAAAAAAAAAAAAA";
    let res = http
        .get(format!("{base}/"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.text().await.unwrap().contains("session_store"));
    // Public paths do not need the store.
    let public = http
        .get(format!("{base}/public"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), StatusCode::OK);
    // A new visitor's login page writes a pending login (state, PKCE verifier). The store cannot
    // keep it: the page is not served, since its link could never finish, and no cookie is set.
    let login = http.get(format!("{base}/login")).send().await.unwrap();
    assert_eq!(login.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(login.headers().get("set-cookie").is_none());
    let body = login.text().await.unwrap();
    assert!(
        body.contains("session_store") && !body.contains("state="),
        "{body}"
    );
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn no_token_code_or_secret_in_the_logs_of_a_full_login() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = served().await;
    let base = &server.base;
    let b = Browser::new();
    let callback = b.dev_authorize(base, "/login", "ada").await;
    let params = common::query(&callback);
    assert_eq!(b.get(&callback).await.location.as_deref(), Some("/"));
    // A failed login too: the replayed code and state.
    b.get(&callback).await;
    let tokens = b.get(&format!("{base}/tokens")).await.body;
    let cookie = b.cookie_header(base).unwrap();
    b.get_with(
        &format!("{base}/logout"),
        &[("sec-fetch-site", "same-origin")],
    )
    .await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("login succeeded"),
        "the capture works: {logs}"
    );
    let mut secrets: Vec<&str> = tokens.lines().filter(|s| !s.is_empty()).collect();
    secrets.push(&params["code"]);
    secrets.push(&params["state"]);
    secrets.push("dev-secret");
    let session_id = cookie.split_once('=').unwrap().1;
    secrets.push(session_id);
    assert!(secrets.len() >= 6);
    for secret in secrets {
        assert!(
            !logs.contains(secret),
            "a secret reached the logs: {secret}\n{logs}"
        );
    }
}

async fn set_cookie_of_login_page(public_url: &'static str) -> String {
    set_cookie_with(public_url, SessionCookie::new()).await
}

/// The `Set-Cookie` of the login page of an app at `public_url` with the cookie settings `cookie`.
async fn set_cookie_with(public_url: &'static str, cookie: SessionCookie) -> String {
    let server = serve(|base| async move {
        let dev = DevProvider::new(&base).unwrap();
        Auth.builder(dev.client())
            .public_url(public_url.parse().unwrap())
            .session_cookie(cookie)
            .unwrap()
            .install(routes())
    })
    .await;
    let res = common::get(format!("{}/login", server.base)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res
        .headers()
        .get("set-cookie")
        .expect("the login link starts a session");
    cookie.to_str().unwrap().to_owned()
}

#[tokio::test]
async fn session_cookie_attributes() {
    // https: the `__Host-` prefix, which browsers accept only with `Secure`, `Path=/` and no
    // `Domain`, so no sibling subdomain can set a cookie of that name.
    let https = set_cookie_of_login_page("https://app.example").await;
    assert!(https.starts_with("__Host-oauth_session="), "{https}");
    for attr in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/;", "Max-Age="] {
        assert!(https.contains(attr), "{attr} missing: {https}");
    }
    assert!(!https.contains("Domain"), "{https}");
    // Plain http (development): not Secure, or browsers would drop it.
    let http = set_cookie_of_login_page("http://127.0.0.1:8000").await;
    assert!(
        http.contains("HttpOnly") && http.contains("SameSite=Lax"),
        "{http}"
    );
    assert!(!http.contains("Secure"), "{http}");
}

#[tokio::test]
async fn a_cookie_domain_or_path_makes_the_prefix_secure_and_is_set() {
    let domain = set_cookie_with(
        "https://app.example.com",
        SessionCookie::new().name("shop").domain("example.com"),
    )
    .await;
    assert!(domain.starts_with("__Secure-shop="), "{domain}");
    for attr in [
        "Domain=example.com",
        "Secure",
        "Path=/",
        "HttpOnly",
        "SameSite=Lax",
    ] {
        assert!(domain.contains(attr), "{attr} missing: {domain}");
    }
    let path = set_cookie_with(
        "https://app.example.com",
        SessionCookie::new()
            .path("/")
            .same_site(SameSite::None)
            .secure(true),
    )
    .await;
    assert!(path.starts_with("__Host-oauth_session="), "{path}");
    assert!(
        path.contains("SameSite=None") && path.contains("Secure"),
        "{path}"
    );
    // On plain http, the settings without a prefix.
    let http = set_cookie_with(
        "http://127.0.0.1:8000",
        SessionCookie::new().name("shop").domain("127.0.0.1"),
    )
    .await;
    assert!(
        http.starts_with("shop=") && http.contains("Domain=127.0.0.1"),
        "{http}"
    );
    assert!(!http.contains("Secure"), "{http}");
}

#[test]
fn same_site_none_without_secure_is_a_builder_error() {
    let dev = DevProvider::new("http://127.0.0.1:1").unwrap();
    let builder = || {
        Auth.builder(dev.client())
            .public_url("https://app.example".parse().unwrap())
    };
    // Even on an https public URL: `None` asks for an explicit `secure(true)`.
    for cookie in [
        SessionCookie::new().same_site(SameSite::None),
        SessionCookie::new().same_site(SameSite::None).secure(false),
    ] {
        match builder().session_cookie(cookie) {
            Err(Error::Config(message)) => assert!(message.contains("SameSite::None"), "{message}"),
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("accepted SameSite=None without Secure"),
        }
    }
    let ok = SessionCookie::new().same_site(SameSite::None).secure(true);
    assert!(builder().session_cookie(ok).is_ok());
}

/// The test app, served, with its origin as the public URL.
async fn served() -> common::Server {
    serve(|base| async move {
        let dev = DevProvider::new(&base).unwrap();
        Auth.builder(dev.client())
            .public_url(base.parse().unwrap())
            .install(routes())
    })
    .await
}

/// A sibling subdomain (`evil.example.com`) can set a cookie of the app's name for the parent
/// domain: the browser then sends both. Neither is taken, whichever comes first.
#[tokio::test]
async fn a_duplicated_session_cookie_is_anonymous_even_beside_the_valid_one() {
    let server = served().await;
    let base = &server.base;
    let b = Browser::new();
    b.dev_login(base, "ada").await;
    let valid = b.cookie_header(base).unwrap();
    assert!(valid.starts_with("oauth_session="), "{valid}");
    // The planted one: another browser's real session, or any value.
    let other = Browser::new();
    other.dev_login(base, "mallory").await;
    let planted = other.cookie_header(base).unwrap();

    let http = common::http_client()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |cookie: String, accept: &'static str| {
        let request = http
            .get(format!("{base}/"))
            .header("cookie", cookie)
            .header("accept", accept);
        async move { request.send().await.unwrap() }
    };
    let alone = get(valid.clone(), "text/html").await;
    assert_eq!(alone.status(), StatusCode::OK);
    assert!(alone.text().await.unwrap().starts_with("hello dev:"));
    // The same cookie twice is that cookie.
    let twice = get(format!("{valid}; {valid}"), "text/html").await;
    assert_eq!(twice.status(), StatusCode::OK);

    for cookie in [
        format!("{valid}; {planted}"),
        format!("{planted}; {valid}"),
        format!("{valid}; oauth_session=AAAAAAAAAAAAAAAAAAAAAA"),
        format!("oauth_session=AAAAAAAAAAAAAAAAAAAAAA; {valid}"),
    ] {
        let page = get(cookie.clone(), "text/html").await;
        assert_eq!(page.status(), StatusCode::SEE_OTHER, "{cookie}");
        assert_eq!(page.headers()["location"], "/login", "{cookie}");
        let api = get(cookie.clone(), "application/json").await;
        assert_eq!(api.status(), StatusCode::UNAUTHORIZED, "{cookie}");
    }
    // In two `Cookie` headers (HTTP/2 sends one per cookie) too.
    let split = http
        .get(format!("{base}/"))
        .header("cookie", &valid)
        .header("cookie", &planted)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(split.status(), StatusCode::SEE_OTHER);
}
