//! The readiness check ([`OAuthBuilder::readiness`](crate::OAuthBuilder::readiness)): whether
//! this instance can log users in now: the session store answers, and each OpenID provider's
//! signing keys are current. It also reports whether a provider's discovery document still says
//! what this instance read at start-up (read again at most hourly); a change is reported and
//! logged, not a reason to take the instance out of service.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Value, json};
use tower_sessions::session::Id;

use crate::client::Client;
use crate::spec::ProviderConfig;
use crate::state::Core;

/// How often a discovery document is read again to compare it with the one read at start-up.
const DISCOVERY_EVERY: Duration = Duration::from_secs(60 * 60);

/// The check's state: the installation, and the last comparison of each provider's discovery
/// document (in the order of `core.providers`).
#[derive(Debug)]
pub(crate) struct Readiness {
    core: Arc<Core>,
    discovery: Vec<tokio::sync::Mutex<Option<(Instant, Value)>>>,
}

impl Readiness {
    pub(crate) fn new(core: Arc<Core>) -> Arc<Self> {
        let discovery = core
            .providers
            .iter()
            .map(|_| tokio::sync::Mutex::new(None))
            .collect();
        Arc::new(Self { core, discovery })
    }
}

/// How long the store may take to answer the check.
const STORE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// `GET {path}`: `200` with `{"status":"ready",...}`, or `503` with `"status":"unavailable"` and
/// what is not ready; `Cache-Control: no-store`. Nothing in it names a URL, a key or a secret.
pub(crate) async fn check(State(readiness): State<Arc<Readiness>>) -> Response {
    let core = &readiness.core;
    // A load of an id no session has: the store's round trip, nothing read.
    let store = match tokio::time::timeout(STORE_TIMEOUT, core.store.load(&Id::default())).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(_)) => Err("the session store failed"),
        Err(_) => Err("the session store did not answer in time"),
    };
    let mut ready = store.is_ok();
    let mut providers = serde_json::Map::new();
    for (installed, last) in core.providers.iter().zip(&readiness.discovery) {
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
        let discovery = discovery(client, last).await;
        providers.insert(
            client.provider().name.to_owned(),
            json!({ "keys": keys, "discovery": discovery }),
        );
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

/// Whether `client`'s discovery document still says what it said at start-up: `"current"`,
/// `{"changed": ...}` (logged once per reading), `{"unreachable": code}`; `"built in"` for a
/// client described in the code. Read again once `DISCOVERY_EVERY` has passed since the last
/// reading; callers meanwhile wait for one reading and share it.
async fn discovery(client: &Client, last: &tokio::sync::Mutex<Option<(Instant, Value)>>) -> Value {
    let Some(discovered) = client.discovered() else {
        return json!("built in");
    };
    let Some(issuer) = discovered.config.oidc.as_ref().map(|oidc| &oidc.issuer) else {
        return json!("built in");
    };
    let mut last = last.lock().await;
    if let Some((at, value)) = &*last
        && at.elapsed() < DISCOVERY_EVERY
    {
        return value.clone();
    }
    let read_at = discovered
        .at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let value = match crate::provider::discover_config(&client.inner.http, issuer).await {
        Ok(fresh) if same_endpoints(&fresh, &discovered.config) => json!("current"),
        Ok(_) => {
            tracing::warn!(
                provider = client.provider().name,
                "the provider's discovery document changed since start-up: restart the instance to use it"
            );
            json!({ "changed": "since start-up: restart to use it", "read_at": read_at })
        }
        Err(error) => json!({ "unreachable": error.code() }),
    };
    *last = Some((Instant::now(), value.clone()));
    value
}

/// Whether two descriptions name the same issuer, keys and endpoints.
fn same_endpoints(a: &ProviderConfig, b: &ProviderConfig) -> bool {
    let oidc = |c: &ProviderConfig| {
        c.oidc
            .as_ref()
            .map(|o| (o.issuer.clone(), o.jwks_url.clone()))
    };
    a.auth_url == b.auth_url
        && a.token_url == b.token_url
        && a.userinfo_url == b.userinfo_url
        && a.revocation_url == b.revocation_url
        && a.end_session_url == b.end_session_url
        && oidc(a) == oidc(b)
}
