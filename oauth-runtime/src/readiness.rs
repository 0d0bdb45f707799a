//! The readiness check ([`OAuthBuilder::readiness`](crate::OAuthBuilder::readiness)): whether
//! this instance can log users in now: the session store answers, and each OpenID provider's
//! signing keys are current (its discovery document was read at start-up).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Value, json};
use tower_sessions::session::Id;

use crate::state::Core;

/// How long the store may take to answer the check.
const STORE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// `GET {path}`: `200` with `{"status":"ready",...}`, or `503` with `"status":"unavailable"` and
/// what is not ready; `Cache-Control: no-store`. Nothing in it names a URL, a key or a secret.
pub(crate) async fn check(State(core): State<Arc<Core>>) -> Response {
    // A load of an id no session has: the store's round trip, nothing read.
    let store = match tokio::time::timeout(STORE_TIMEOUT, core.store.load(&Id::default())).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(_)) => Err("the session store failed"),
        Err(_) => Err("the session store did not answer in time"),
    };
    let mut ready = store.is_ok();
    let mut providers = serde_json::Map::new();
    for installed in &core.providers {
        let client = &installed.client;
        let keys: Value = if client.provider().oidc.is_some() {
            match client.keys_current().await {
                Ok(()) => json!("current"),
                Err(why) => {
                    ready = false;
                    json!({ "error": why })
                }
            }
        } else {
            json!("none needed")
        };
        providers.insert(client.provider().name.to_owned(), json!({ "keys": keys }));
    }
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "store": match store { Ok(()) => json!("ok"), Err(why) => json!({ "error": why }) },
        "providers": providers,
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [(http::header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response()
}
