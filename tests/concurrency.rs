//! Many logins at once against one app and one development provider, over real HTTP on
//! 127.0.0.1: every browser ends up logged in as its own user, with its own tokens, and nothing
//! of one session shows up in another.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use axum_oauth_login::dev::DevProvider;
use axum_oauth_login::prelude::*;
use common::{Browser, login_page};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
async fn get_auth(info: &UserInfo, session: &Session) -> Option<Redirect> {
    session.insert("email", info.email.clone()?).await.ok()?;
    Some(Redirect::to("/me"))
}

/// `<ident> <email>` of the logged-in user.
async fn me(Ident(ident): Ident, session: Session) -> String {
    let email: String = session.get("email").await.unwrap().unwrap_or_default();
    format!("{ident} {email}")
}

/// The access token kept for this user.
async fn token(tokens: UserTokens) -> String {
    tokens
        .get()
        .await
        .expect("tokens are kept")
        .access_token()
        .to_owned()
}

fn routes() -> Router {
    Router::new()
        .route("/me", get(me))
        .route("/token", get(token))
        .route("/login", get(login_page))
        .route(
            "/error",
            get(|q: axum::extract::RawQuery| async move {
                format!("error {}", q.0.unwrap_or_default())
            }),
        )
}

async fn start() -> (common::Server, DevProvider) {
    common::serve_dev(|dev, base| {
        Auth.builder(dev.client())
            .public_url(base.parse().unwrap())
            .install(routes())
    })
    .await
}

/// The ident of a login name without `@` at the development provider: `dev:` and its `sub`,
/// `dev-` and the first 16 hex digits of SHA-256 of `<name>@example.com`.
fn expected_ident(email: &str) -> String {
    let digest = Sha256::digest(email.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("dev:dev-{}", &hex[..16])
}

struct Outcome {
    browser: Browser,
    email: String,
    me: String,
    token: String,
    cookie: String,
}

const USERS: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_logins_each_get_their_own_session_and_tokens() {
    let (server, _dev) = start().await;
    let base = Arc::new(server.base.clone());
    let built = Instant::now();
    let browsers: Vec<Browser> = (0..USERS).map(|_| Browser::new()).collect();
    let built = built.elapsed();
    let started = Instant::now();
    // All tasks start together, so that logins interleave at every step.
    let barrier = Arc::new(tokio::sync::Barrier::new(USERS));
    let mut tasks = Vec::with_capacity(USERS);
    for (i, browser) in browsers.into_iter().enumerate() {
        let (base, barrier) = (base.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            let name = format!("user{i:03}");
            barrier.wait().await;
            let done = browser.dev_login(&base, &name).await;
            assert_eq!(done.status, StatusCode::SEE_OTHER, "{name}: {}", done.body);
            assert_eq!(
                done.location.as_deref(),
                Some("/me"),
                "{name}: {}",
                done.body
            );
            let me = browser.get(&format!("{base}/me")).await;
            assert_eq!(me.status, StatusCode::OK, "{name}: {}", me.body);
            let token = browser.get(&format!("{base}/token")).await;
            assert_eq!(token.status, StatusCode::OK, "{name}: {}", token.body);
            let cookie = browser.cookie_header(&base).expect("a session cookie");
            Outcome {
                browser,
                email: format!("{name}@example.com"),
                me: me.body,
                token: token.body,
                cookie,
            }
        }));
    }
    let mut outcomes = Vec::with_capacity(USERS);
    for task in tasks {
        let outcome = tokio::time::timeout(Duration::from_secs(60), task)
            .await
            .expect("a login hung")
            .expect("a login task failed");
        outcomes.push(outcome);
    }
    let took = started.elapsed();

    let mut idents = HashSet::new();
    let mut tokens = HashSet::new();
    let mut cookies = HashSet::new();
    for o in &outcomes {
        let expected = format!("{} {}", expected_ident(&o.email), o.email);
        assert_eq!(o.me, expected, "a browser shows someone else's identity");
        assert!(!o.token.is_empty());
        idents.insert(o.me.clone());
        tokens.insert(o.token.clone());
        cookies.insert(o.cookie.clone());
    }
    assert_eq!(
        idents.len(),
        USERS,
        "identities are shared between sessions"
    );
    assert_eq!(
        tokens.len(),
        USERS,
        "access tokens are shared between sessions"
    );
    assert_eq!(cookies.len(), USERS, "session cookies are shared");

    // After the storm, each session still holds its own user and token (no late overwrite),
    // asked concurrently again.
    let base2 = base.clone();
    let checks: Vec<_> = outcomes
        .into_iter()
        .map(|o| {
            let base = base2.clone();
            tokio::spawn(async move {
                let me = o.browser.get(&format!("{base}/me")).await.body;
                let token = o.browser.get(&format!("{base}/token")).await.body;
                assert_eq!(me, o.me);
                assert_eq!(token, o.token);
            })
        })
        .collect();
    for check in checks {
        tokio::time::timeout(Duration::from_secs(30), check)
            .await
            .expect("hung")
            .expect("a session changed");
    }
    eprintln!("{USERS} browsers built in {built:?}, {USERS} concurrent logins in {took:?}");
    assert!(
        took < Duration::from_secs(60),
        "{USERS} logins took {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_in_many_browsers_gets_separate_sessions_and_tokens() {
    let (server, _dev) = start().await;
    let base = Arc::new(server.base.clone());
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let base = base.clone();
            tokio::spawn(async move {
                let b = Browser::new();
                assert_eq!(
                    b.dev_login(&base, "ada").await.location.as_deref(),
                    Some("/me")
                );
                let token = b.get(&format!("{base}/token")).await.body;
                (b, token)
            })
        })
        .collect();
    let mut browsers = Vec::new();
    for t in tasks {
        browsers.push(
            tokio::time::timeout(Duration::from_secs(30), t)
                .await
                .unwrap()
                .unwrap(),
        );
    }
    let tokens: HashSet<_> = browsers.iter().map(|(_, t)| t.clone()).collect();
    assert_eq!(
        tokens.len(),
        browsers.len(),
        "each login has its own tokens"
    );
    // Logging out one browser leaves the others logged in.
    let (first, _) = &browsers[0];
    first
        .get_with(
            &format!("{base}/logout"),
            &[("sec-fetch-site", "same-origin")],
        )
        .await;
    assert_eq!(
        first.get(&format!("{base}/me")).await.status,
        StatusCode::SEE_OTHER
    );
    for (b, token) in &browsers[1..] {
        let me = b.get(&format!("{base}/me")).await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(&b.get(&format!("{base}/token")).await.body, token);
    }
}

/// Several tabs of one browser start logins, then all callbacks arrive at once with the same
/// session cookie. Each may win or lose the race for the shared session (a lost one is a
/// `state_mismatch`), but none may answer 500 or log the browser in as anyone else, and the
/// browser ends up logged in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tabs_of_one_browser_finishing_logins_at_once() {
    let (server, _dev) = start().await;
    let base = server.base.clone();
    let b = Browser::new();
    let mut callbacks = Vec::new();
    for _ in 0..4 {
        callbacks.push(b.dev_authorize(&base, "/login", "ada").await);
    }
    let tasks: Vec<_> = callbacks
        .into_iter()
        .map(|cb| {
            let b = b.clone();
            tokio::spawn(async move { b.get(&cb).await })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        let page = tokio::time::timeout(Duration::from_secs(30), t)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        match page.location.as_deref() {
            Some("/me") => wins += 1,
            Some("/error?code=state_mismatch") => {}
            other => panic!("unexpected answer to a tab's callback: {other:?}"),
        }
    }
    assert!(wins >= 1, "no tab could log in");
    let me = b.get(&format!("{base}/me")).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(
        me.body,
        format!("{} ada@example.com", expected_ident("ada@example.com"))
    );
}

/// The deterministic half of the race above: a tab's callback arrives with the session cookie of
/// before another tab's login (that login cycled the id and deleted the old record). Its state is
/// gone, so it fails, and it must leave the browser's cookie alone: storing a fresh session and
/// pointing the cookie at it would log the browser out of the login the other tab just finished.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_tabs_callback_on_a_cycled_session_leaves_the_cookie_alone() {
    let (server, _dev) = start().await;
    let base = server.base.clone();
    let b = Browser::new();
    let first = b.dev_authorize(&base, "/login", "ada").await;
    let second = b.dev_authorize(&base, "/login", "ada").await;
    let before_login = b.cookie_header(&base).expect("a session cookie");

    let page = b.get(&first).await;
    assert_eq!(page.location.as_deref(), Some("/me"), "{}", page.body);
    assert_ne!(
        b.cookie_header(&base).as_deref(),
        Some(before_login.as_str())
    );

    // The second tab's callback, sent with the cookie the browser had when it started.
    let http = common::http_client()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let late = http
        .get(&second)
        .header("cookie", &before_login)
        .header("sec-fetch-mode", "navigate")
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        late.headers().get("location").and_then(|l| l.to_str().ok()),
        Some("/error?code=state_mismatch")
    );
    assert_eq!(
        late.headers().get("set-cookie"),
        None,
        "a failed callback on a deleted session set a cookie"
    );
    // The browser is still logged in.
    assert_eq!(b.get(&format!("{base}/me")).await.status, StatusCode::OK);
}
