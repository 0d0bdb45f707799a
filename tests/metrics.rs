//! Metrics through the `metrics` facade: a recorder installed by the app sees the audit events
//! as `oauth_events_total` and each provider round trip in `oauth_provider_request_seconds`.
//! (One test in its own binary: the recorder is process-wide.)

mod common;

use axum::response::Redirect;
use axum::routing::get;
use axum_oauth_login::dev::Fault;
use axum_oauth_login::prelude::*;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

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

    let metrics: Vec<Metric> = snapshotter
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
        .collect();
    let find = |name: &str, labels: &[(&str, &str)]| {
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
    };
    let count = |labels: &[(&str, &str)]| match find("oauth_events_total", labels) {
        DebugValue::Counter(n) => *n,
        other => panic!("{other:?}"),
    };
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
    // No ident in any label.
    assert!(
        metrics
            .iter()
            .all(|(_, labels, _)| labels.iter().all(|(_, v)| !v.contains("dev-"))),
        "{metrics:#?}"
    );
}
