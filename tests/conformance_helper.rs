//! `conformance::run`, the public helper that plays the conformance suite's negative modules
//! against a user's app: every module passes against an app built as the README shows, and the
//! report names the module that fails when the app accepts what it should refuse.

mod common;

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use axum_oauth_login::conformance::{self, Paths};
use axum_oauth_login::prelude::*;
use axum_oauth_login::{Client, GuardedApp};
use common::login_page;

#[oauth(provider = "google")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

fn routes() -> Router {
    Router::new()
        .route(
            "/",
            get(|Ident(a): Ident| async move { format!("hello {a}") }),
        )
        .route("/login", get(login_page))
}

fn app(client: Client, base: &str) -> GuardedApp {
    Auth.builder(client)
        .public_url(base.parse().unwrap())
        .install(routes())
}

#[tokio::test]
async fn a_correct_app_passes_every_module() {
    let report = conformance::run(app).await;
    println!("{report}");
    report.assert_passed();
    let modules: Vec<&str> = report.outcomes.iter().map(|o| o.module).collect();
    for module in [
        "oidcc-client-test",
        "oidcc-client-test-invalid-iss",
        "oidcc-client-test-idtoken-sig-none",
        "oidcc-client-test-userinfo-invalid-sub",
        "oidcc-client-test-rp-backchannel-rpinitlogout-wrong-alg",
    ] {
        assert!(
            modules.contains(&module),
            "{module} did not run: {modules:?}"
        );
    }
}

#[tokio::test]
async fn an_app_that_accepts_unsigned_id_tokens_fails_that_module() {
    let report =
        conformance::run(|client, base| app(client.allow_unsigned_id_tokens(), base)).await;
    assert!(!report.passed());
    let failed: Vec<&str> = report
        .outcomes
        .iter()
        .filter(|o| !o.passed)
        .map(|o| o.module)
        .collect();
    assert_eq!(failed, ["oidcc-client-test-idtoken-sig-none"], "{report}");
    assert!(
        report
            .to_string()
            .contains("FAIL oidcc-client-test-idtoken-sig-none")
    );
}

#[tokio::test]
async fn back_channel_modules_follow_the_apps_endpoint() {
    // Back-channel logout off: its modules fail at the default path, and are skipped without one.
    let off = |client: Client, base: &str| {
        Auth.builder(client)
            .public_url(base.parse().unwrap())
            .backchannel_logout(None)
            .install(routes())
    };
    let report = conformance::run(off).await;
    assert!(
        report
            .outcomes
            .iter()
            .filter(|o| o.module.contains("backchannel"))
            .all(|o| !o.passed),
        "{report}"
    );
    let paths = Paths {
        backchannel_logout: None,
        ..Paths::default()
    };
    let report = conformance::run_with(paths, off).await;
    report.assert_passed();
    assert!(
        !report
            .outcomes
            .iter()
            .any(|o| o.module.contains("backchannel"))
    );
}
