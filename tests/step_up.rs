//! Step-up authentication (`OAuthBuilder::step_up`): routes that need a stronger (`acr`) or a
//! more recent (`max_age`) login than the session's. A page sends the user through a new login
//! asking for it and back; an API call gets RFC 9470's challenge; a login that comes back
//! without what was asked for is refused. The development provider performs `urn:dev:pwd` by
//! default and `urn:dev:mfa` when asked.

mod common;

use std::time::Duration;

use axum::response::Redirect;
use axum::routing::get;
use axum_oauth_login::StepUp;
use axum_oauth_login::prelude::*;
use common::Browser;
use reqwest::StatusCode;

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

async fn app() -> common::Server {
    let (server, _dev) = common::serve_dev(|dev, base| {
        Auth.builder(dev.client())
            .public_url(base.parse().unwrap())
            .step_up("/admin/.*", StepUp::acr(["urn:dev:mfa"]))
            .step_up("/vault", StepUp::acr(["urn:example:hardware-key"]))
            .step_up("/recent", StepUp::default().max_age(Duration::from_secs(2)))
            .install(
                common::hello_routes()
                    .route("/login", get(common::login_page))
                    .route("/admin/panel", get(|| async { "admin panel" }))
                    .route("/vault", get(|| async { "vault" }))
                    .route("/recent", get(|| async { "recent" })),
            )
    })
    .await;
    server
}

fn query(url: &str) -> std::collections::HashMap<String, String> {
    common::query(url)
}

#[tokio::test]
async fn a_page_that_needs_a_stronger_login_logs_in_again_and_comes_back() {
    let server = app().await;
    let base = &server.base;
    let b = Browser::new();
    b.dev_login(base, "ada").await;
    assert_eq!(b.get(&format!("{base}/")).await.status, StatusCode::OK);

    let page = b.get(&format!("{base}/admin/panel")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let authorize = page.location.unwrap();
    let asked = query(&authorize);
    assert_eq!(asked["acr_values"], "urn:dev:mfa", "{authorize}");
    assert!(
        !asked.contains_key("prompt"),
        "the login is recent enough: {authorize}"
    );

    let callback = b.dev_authorize_link(&authorize, "ada").await;
    let back = b.get(&callback).await;
    assert_eq!(
        back.location.as_deref(),
        Some("/admin/panel"),
        "{}",
        back.body
    );
    let panel = b.get(&format!("{base}/admin/panel")).await;
    assert_eq!(panel.status, StatusCode::OK);
    assert_eq!(panel.body, "admin panel");
    assert_eq!(b.get(&format!("{base}/")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_api_call_gets_the_rfc_9470_challenge() {
    let server = app().await;
    let base = &server.base;
    let b = Browser::new();
    b.dev_login(base, "ada").await;
    for headers in [
        &[("accept", "application/json")][..],
        &[("hx-request", "true")][..],
    ] {
        let page = b.get_with(&format!("{base}/admin/panel"), headers).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{headers:?}");
        let challenge = page.headers["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.starts_with("Bearer error=\"insufficient_user_authentication\"")
                && challenge.contains("acr_values=\"urn:dev:mfa\""),
            "{challenge}"
        );
        let body: serde_json::Value = serde_json::from_str(&page.body).unwrap();
        assert_eq!(body["error"], "insufficient_user_authentication");
    }
}

#[tokio::test]
async fn a_login_that_comes_back_without_the_acr_is_refused() {
    let server = app().await;
    let base = &server.base;
    let b = Browser::new();
    b.dev_login(base, "ada").await;
    let authorize = b.get(&format!("{base}/vault")).await.location.unwrap();
    assert_eq!(query(&authorize)["acr_values"], "urn:example:hardware-key");
    // The provider does not know it and logs the user in with a password (`urn:dev:pwd`).
    let callback = b.dev_authorize_link(&authorize, "ada").await;
    let back = b.get(&callback).await;
    assert!(
        back.location
            .as_deref()
            .is_some_and(|l| l.starts_with("/error?code=insufficient_authentication")),
        "{:?}",
        back.location
    );
    assert_eq!(
        b.get(&format!("{base}/vault")).await.status,
        StatusCode::SEE_OTHER
    );
    // Still logged in for everything else.
    assert_eq!(b.get(&format!("{base}/")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_login_too_old_for_the_page_is_asked_again_with_prompt_login() {
    let server = app().await;
    let base = &server.base;
    let b = Browser::new();
    b.dev_login(base, "ada").await;
    assert_eq!(
        b.get(&format!("{base}/recent")).await.status,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(3100)).await;

    let page = b.get(&format!("{base}/recent")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let authorize = page.location.unwrap();
    let asked = query(&authorize);
    assert_eq!(asked["max_age"], "2", "{authorize}");
    assert_eq!(asked["prompt"], "login", "{authorize}");
    let callback = b.dev_authorize_link(&authorize, "ada").await;
    assert_eq!(b.get(&callback).await.location.as_deref(), Some("/recent"));
    assert_eq!(
        b.get(&format!("{base}/recent")).await.status,
        StatusCode::OK
    );
}
