//! The readiness check (`OAuthBuilder::readiness`): `200` when the store answers and the
//! OpenID provider's keys are current, `503` naming what is not; public, without a session.

mod common;

use async_trait::async_trait;
use axum::response::Redirect;
use axum::routing::get;
use axum_oauth_login::Client;
use axum_oauth_login::prelude::*;
use reqwest::StatusCode;
use serde_json::Value;
use tower_sessions::session::{Id, Record};
use tower_sessions::{SessionStore, session_store};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

/// A store that is down.
#[derive(Debug, Clone)]
struct Down;

#[async_trait]
impl SessionStore for Down {
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

async fn ready(base: &str) -> (StatusCode, Value, bool) {
    let response = common::get(format!("{base}/ready")).await.unwrap();
    let status = response.status();
    let cookie = response.headers().contains_key("set-cookie");
    (status, response.json().await.unwrap(), cookie)
}

fn routes() -> axum::Router {
    common::hello_routes().route("/login", get(common::login_page))
}

#[tokio::test]
async fn ready_when_the_store_answers_and_the_keys_are_current() {
    let (server, _dev) = common::serve_dev(|dev, base| {
        Auth.builder(dev.client())
            .public_url(base.parse().unwrap())
            .readiness(Some("/ready"))
            .install(routes())
    })
    .await;
    let (status, body, cookie) = ready(&server.base).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["store"], "ok");
    assert_eq!(body["providers"]["dev"]["keys"], "current", "{body}");
    assert!(!cookie, "no session for the check");
}

#[tokio::test]
async fn unavailable_when_the_store_is_down() {
    let (server, _dev) = common::serve_dev(|dev, base| {
        Auth.builder(dev.client())
            .public_url(base.parse().unwrap())
            .session_store(Down)
            .readiness(Some("/ready"))
            .install(routes())
    })
    .await;
    let (status, body, _) = ready(&server.base).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "unavailable");
    assert!(body["store"]["error"].is_string(), "{body}");
}

#[tokio::test]
async fn unavailable_when_the_keys_cannot_be_fetched() {
    let unreachable = format!("http://127.0.0.1:{}/jwks", common::free_port());
    let (server, _dev) = common::serve_dev(move |dev, base| {
        let client: Client = dev.client().with_provider(|p| {
            p.oidc.as_mut().unwrap().jwks_url = unreachable.parse().unwrap();
        });
        Auth.builder(client)
            .public_url(base.parse().unwrap())
            .readiness(Some("/ready"))
            .install(routes())
    })
    .await;
    let (status, body, _) = ready(&server.base).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["store"], "ok");
    let why = body["providers"]["dev"]["keys"]["error"].as_str().unwrap();
    assert!(!why.contains("127.0.0.1"), "no URL in the answer: {why}");
}
