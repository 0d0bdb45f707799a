//! The readiness check (`OAuthBuilder::readiness`): `200` when the store answers and the
//! OpenID provider's keys are current, `503` naming what is not; public, without a session; and
//! whether a discovered provider's document still says what it said at start-up.

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

/// A discovery document served here, whose token endpoint moves when `moved` is set.
async fn discovery_server(moved: std::sync::Arc<std::sync::atomic::AtomicBool>) -> String {
    use std::sync::atomic::Ordering;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let issuer = base.clone();
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || {
                let token = if moved.load(Ordering::SeqCst) {
                    "token-v2"
                } else {
                    "token"
                };
                std::future::ready(axum::Json(serde_json::json!({
                    "issuer": issuer,
                    "authorization_endpoint": format!("{issuer}/authorize"),
                    "token_endpoint": format!("{issuer}/{token}"),
                    "jwks_uri": format!("{issuer}/jwks"),
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                })))
            }),
        )
        .route(
            "/jwks",
            get(|| async { axum::Json(serde_json::json!({"keys": []})) }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// A discovered provider: the check reads its document again and says whether it still names the
/// endpoints this instance uses; a change is reported, and keeps the instance in service.
#[tokio::test]
async fn the_discovery_document_is_compared_with_the_one_read_at_start_up() {
    use std::sync::atomic::{AtomicBool, Ordering};
    for moved_after_start in [false, true] {
        let moved = std::sync::Arc::new(AtomicBool::new(false));
        let issuer = discovery_server(moved.clone()).await;
        let client = axum_oauth_login::OidcClient::discover(&issuer, "id", "secret")
            .await
            .unwrap()
            .with_provider(|p| p.scopes.push("offline_access".into()));
        moved.store(moved_after_start, Ordering::SeqCst);
        let server = common::serve(move |base| async move {
            Auth.builder(client)
                .public_url(base.parse().unwrap())
                .readiness(Some("/ready"))
                .install(routes())
        })
        .await;
        let (_, body, _) = ready(&server.base).await;
        let discovery = &body["providers"]["oidc"]["discovery"];
        if moved_after_start {
            assert!(discovery["changed"].is_string(), "{body}");
        } else {
            assert_eq!(discovery, "current", "{body}");
        }
        assert!(
            !body.to_string().contains("token-v2"),
            "no URL in the answer"
        );
    }

    // A client described in the code has no document to compare.
    let (server, _dev) = common::serve_dev(|dev, base| {
        Auth.builder(dev.client())
            .public_url(base.parse().unwrap())
            .readiness(Some("/ready"))
            .install(routes())
    })
    .await;
    let (_, body, _) = ready(&server.base).await;
    assert_eq!(body["providers"]["dev"]["discovery"], "built in", "{body}");
}
