//! Metrics through the `metrics` facade: a recorder installed by the app sees the audit events
//! as `oauth_events_total`, each provider round trip in `oauth_provider_request_seconds`, each
//! store call in `oauth_store_seconds` and the Redis cache's work in `oauth_session_cache_total`.
//! (One test in its own binary: the recorder is process-wide.)

mod common;

use axum::response::Redirect;
use axum::routing::get;
use axum_oauth_login::dev::Fault;
use axum_oauth_login::prelude::*;
use std::time::Duration;

use axum_oauth_login::store::AnyStore;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

const REDIS_ADDR: &str = "127.0.0.1:6379";
const REDIS_URL: &str = "redis://127.0.0.1:6379";

/// A metric's name, labels and value.
type Metric = (String, Vec<(String, String)>, DebugValue);

#[tokio::test]
async fn events_and_provider_round_trips_reach_the_recorder() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder
        .install()
        .expect("the only recorder of this process");

    let (server, dev) = common::serve_dev(|dev, base| {
        Auth.builder(dev.client())
            .public_url(base.parse().unwrap())
            .install(
                common::hello_routes()
                    .route("/login", get(common::login_page))
                    .route(
                        "/refresh",
                        get(|t: UserTokens| async move { t.refresh().await.is_ok().to_string() }),
                    ),
            )
    })
    .await;
    let b = common::Browser::new();
    b.dev_login(&server.base, "ada").await;
    assert_eq!(
        b.get(&format!("{}/refresh", server.base)).await.body,
        "true"
    );
    let other = common::Browser::new();
    let callback = other.dev_authorize(&server.base, "/login", "bob").await;
    dev.set_fault(Some(Fault::BadSignature));
    other.get(&callback).await;
    dev.set_fault(None);

    let metrics = snapshot(&snapshotter);
    let count = |labels: &[(&str, &str)]| counter(&metrics, "oauth_events_total", labels);
    let find = |name: &str, labels: &[(&str, &str)]| find(&metrics, name, labels);
    assert_eq!(count(&[("event", "login_started"), ("provider", "dev")]), 2);
    assert_eq!(
        count(&[("event", "login_succeeded"), ("provider", "dev")]),
        1
    );
    assert_eq!(count(&[("event", "login_failed"), ("code", "id_token")]), 1);
    assert_eq!(count(&[("event", "refresh"), ("outcome", "refreshed")]), 1);
    for call in ["token", "refresh", "keys", "userinfo"] {
        match find(
            "oauth_provider_request_seconds",
            &[("call", call), ("outcome", "ok")],
        ) {
            DebugValue::Histogram(values) => assert!(!values.is_empty(), "{call}"),
            other => panic!("{call}: {other:?}"),
        }
    }
    // Every store call of those logins, whatever the store.
    for call in ["create", "load", "save", "delete"] {
        match find("oauth_store_seconds", &[("call", call), ("outcome", "ok")]) {
            DebugValue::Histogram(values) => assert!(!values.is_empty(), "{call}"),
            other => panic!("{call}: {other:?}"),
        }
    }
    // No ident in any label.
    assert!(
        metrics
            .iter()
            .all(|(_, labels, _)| labels.iter().all(|(_, v)| !v.contains("dev-"))),
        "{metrics:#?}"
    );

    redis_cache(&snapshotter).await;
}

/// The Redis store's cache (database 8, this test's own): a logged-in request served from it is a
/// hit, a session changed behind its back an invalidation, a flushed database a lost lease.
async fn redis_cache(snapshotter: &Snapshotter) {
    // A snapshot hands each counter over and sets it back to 0: add them up here.
    let totals = std::cell::RefCell::new(std::collections::HashMap::<String, u64>::new());
    let cache = |event: &str| {
        for (name, labels, value) in snapshot(snapshotter) {
            if let ("oauth_session_cache_total", DebugValue::Counter(n)) = (name.as_str(), value) {
                for (_, event) in labels.into_iter().filter(|(k, _)| k == "event") {
                    *totals.borrow_mut().entry(event).or_default() += n;
                }
            }
        }
        totals.borrow().get(event).copied().unwrap_or(0)
    };
    let store = AnyStore::from_url(&format!("{REDIS_URL}/8")).await.unwrap();
    let (server, _dev) = common::serve_dev(|dev, base| {
        Auth.builder(dev.client())
            .public_url(base.parse().unwrap())
            .session_store(store)
            .install(common::hello_routes().route("/login", get(common::login_page)))
    })
    .await;
    let b = common::Browser::new();
    b.dev_login(&server.base, "ada").await;
    for _ in 0..3 {
        assert_eq!(b.get(&format!("{}/", server.base)).await.status, 200);
    }
    assert!(cache("miss") >= 1);
    assert!(
        cache("hit") >= 1,
        "a logged-in request served from the cache"
    );

    // Every key of the database but the cache's canary, deleted from outside.
    common::redis_command_at(
        REDIS_ADDR,
        8,
        &[
            "EVAL",
            "for _, k in ipairs(redis.call('KEYS', '*')) do \
             if not string.find(k, 'cache%-canary') then redis.call('DEL', k) end end",
            "0",
        ],
    )
    .await;
    eventually(|| cache("invalidation") >= 1, "an invalidation").await;

    common::redis_command_at(REDIS_ADDR, 8, &["FLUSHDB"]).await;
    eventually(|| cache("lease_lost") >= 1, "a lost lease").await;
}

/// Waits (2 seconds at most) until `done`.
async fn eventually(done: impl Fn() -> bool, what: &str) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "no {what} counted"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What the recorder holds now.
fn snapshot(snapshotter: &Snapshotter) -> Vec<Metric> {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key();
            let labels = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            (key.name().to_owned(), labels, value)
        })
        .collect()
}

/// The value of the metric `name` with (at least) `labels`.
fn find<'a>(metrics: &'a [Metric], name: &str, labels: &[(&str, &str)]) -> &'a DebugValue {
    metrics
        .iter()
        .find(|(n, l, _)| {
            n == name
                && labels
                    .iter()
                    .all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v))
        })
        .map(|(_, _, value)| value)
        .unwrap_or_else(|| panic!("no {name} {labels:?} in {metrics:#?}"))
}

/// The counter `name` with (at least) `labels` in one snapshot; 0 when it was never counted.
fn counter(metrics: &[Metric], name: &str, labels: &[(&str, &str)]) -> u64 {
    let matching = |(n, l, _): &&Metric| {
        n == name
            && labels
                .iter()
                .all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v))
    };
    match metrics.iter().find(matching) {
        Some((_, _, DebugValue::Counter(n))) => *n,
        Some(other) => panic!("{name}: not a counter: {other:?}"),
        None => 0,
    }
}
