//! Security properties that need a whole app: fail-closed session stores, and no secret in logs.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::Router;
use axum::response::{Html, Redirect};
use axum::routing::get;
use axum_oauth_login::dev::DevProvider;
use axum_oauth_login::prelude::*;
use common::{Browser, serve};
use reqwest::StatusCode;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

#[oauth(provider = "dev", skip = ["/public"])]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

async fn login(login: Login) -> Result<Html<String>, Error> {
    Ok(Html(format!(
        r#"<a href="{}">Log in</a>"#,
        html_escape::encode_double_quoted_attribute(&login.link().await?)
    )))
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
    Router::new()
        .route(
            "/",
            get(|Ident(a): Ident| async move { format!("hello {a}") }),
        )
        .route("/public", get(|| async { "public" }))
        .route("/login", get(login))
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

    let server = serve(|base| async move {
        let dev = DevProvider::new(&base).unwrap();
        Auth.builder(dev.client())
            .public_url(base.parse().unwrap())
            .install(routes())
    })
    .await;
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
    let server = serve(|base| async move {
        let dev = DevProvider::new(&base).unwrap();
        Auth.builder(dev.client())
            .public_url(public_url.parse().unwrap())
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
    let https = set_cookie_of_login_page("https://app.example").await;
    assert!(https.starts_with("oauth_session="), "{https}");
    for attr in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age="] {
        assert!(https.contains(attr), "{attr} missing: {https}");
    }
    // Plain http (development): not Secure, or browsers would drop it.
    let http = set_cookie_of_login_page("http://127.0.0.1:8000").await;
    assert!(
        http.contains("HttpOnly") && http.contains("SameSite=Lax"),
        "{http}"
    );
    assert!(!http.contains("Secure"), "{http}");
}
