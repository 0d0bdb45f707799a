//! The rate limit on login starts and callbacks (`OAuthBuilder::rate_limit`): per client address,
//! `429` with `Retry-After` over it, logged-in sessions and other paths never limited, the
//! address from a trusted proxy's `X-Forwarded-For`, and off with `None`.

mod common;

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use axum_oauth_login::RateLimit;
use axum_oauth_login::dev::DevProvider;
use axum_oauth_login::prelude::*;
use common::{Browser, login_page};
use reqwest::StatusCode;
use tokio::net::TcpListener;

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

/// An app served as the README serves it (`axum::serve(listener, app)`: the app learns each
/// connection's peer), behind a trusted proxy on loopback, with `limit`.
async fn serve(limit: Option<RateLimit>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let dev = DevProvider::new(&base).unwrap();
    let app = Auth
        .builder(dev.client())
        .public_url(base.parse().unwrap())
        .trusted_proxies(["127.0.0.1".parse().unwrap()])
        .rate_limit(limit)
        .install(
            Router::new()
                .route(
                    "/",
                    get(|Ident(a): Ident| async move { format!("hello {a}") }),
                )
                .route("/public", get(|| async { "public" }))
                .route("/login", get(login_page)),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

fn limit() -> Option<RateLimit> {
    Some(RateLimit::per_minute(60).burst(5))
}

/// A GET from `address`, as the trusted proxy forwards it.
async fn get_from(b: &Browser, url: &str, address: &str) -> common::Page {
    b.get_with(url, &[("x-forwarded-for", address)]).await
}

#[tokio::test]
async fn login_starts_and_callbacks_over_the_limit_get_429() {
    let base = serve(limit()).await;
    let (login, client) = (format!("{base}/login"), "203.0.113.50");
    // Ada logs in from the proxy's own address (loopback: never limited).
    let ada = Browser::new();
    let done = ada.dev_login(&base, "ada").await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);

    let bot = Browser::new();
    for _ in 0..5 {
        assert_eq!(get_from(&bot, &login, client).await.status, StatusCode::OK);
    }
    let refused = get_from(&bot, &login, client).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    let retry: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let forged = get_from(&bot, &format!("{base}/redirect?code=x&state=y"), client).await;
    assert_eq!(
        forged.status,
        StatusCode::TOO_MANY_REQUESTS,
        "callbacks count too"
    );

    // Other paths are not limited, nor a logged-in user on the limited ones, nor other addresses.
    for _ in 0..10 {
        let other = get_from(&bot, &format!("{base}/public"), client).await;
        assert_eq!(
            other.status,
            StatusCode::SEE_OTHER,
            "the guard's 303: {}",
            other.body
        );
    }
    let again = get_from(&ada, &login, client).await;
    assert_ne!(
        again.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        again.body
    );
    assert_eq!(
        get_from(&bot, &login, "198.51.100.9").await.status,
        StatusCode::OK
    );
    // The proxy's own address (loopback) is not limited.
    for _ in 0..10 {
        assert_eq!(bot.get(&login).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn none_turns_it_off() {
    let base = serve(None).await;
    let b = Browser::new();
    for _ in 0..40 {
        let page = get_from(&b, &format!("{base}/login"), "203.0.113.50").await;
        assert_eq!(page.status, StatusCode::OK);
    }
}
