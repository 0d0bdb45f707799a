//! The examples, run as a user would, against the development provider.

mod common;

use common::{Browser, start_example};
use reqwest::StatusCode;

fn count(body: &str) -> i64 {
    let re = regex::Regex::new(r#"<span id="count">(-?\d+)</span>"#).unwrap();
    re.captures(body).expect("a count on the page")[1]
        .parse()
        .unwrap()
}

#[tokio::test]
async fn counter_counts_per_user() {
    let dir = std::env::temp_dir().join(format!("counter-test-{}", std::process::id()));
    let env = [
        ("COUNTS_DB", dir.join("counts.db").display().to_string()),
        (
            "SESSION_STORE",
            format!("sqlite://{}", dir.join("sessions.db").display()),
        ),
    ];
    let app = start_example("counter", &env);
    let base = &app.base;

    let ada = Browser::new();
    assert_eq!(
        ada.get(&format!("{base}/")).await.location.as_deref(),
        Some("/login")
    );
    let done = ada.dev_login(base, "ada").await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    let home = ada.get(&format!("{base}/")).await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(count(&home.body), 0);
    assert!(home.body.contains(r#"hx-post="/increment""#));
    for expected in 1..=2 {
        let inc = ada.post(&format!("{base}/increment")).await;
        assert_eq!(inc.body, expected.to_string());
    }
    assert_eq!(count(&ada.get(&format!("{base}/")).await.body), 2);

    // htmx is served locally and public.
    let js = Browser::new()
        .get(&format!("{base}/static/htmx.min.js"))
        .await;
    assert_eq!(js.status, StatusCode::OK);

    let bob = Browser::new();
    bob.dev_login(base, "bob").await;
    assert_eq!(count(&bob.get(&format!("{base}/")).await.body), 0);
    assert_eq!(bob.post(&format!("{base}/increment")).await.body, "1");
    assert_eq!(count(&ada.get(&format!("{base}/")).await.body), 2);

    // Anonymous increments are refused.
    let anon = Browser::new().post(&format!("{base}/increment")).await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);

    // Sessions live in SQLite: after a restart Ada is still logged in, with her count.
    drop(app);
    let app = start_example("counter", &env);
    let base = &app.base;
    assert_eq!(count(&ada.get(&format!("{base}/")).await.body), 2);

    let out = ada.get(&format!("{base}/logout")).await;
    assert_eq!(out.location.as_deref(), Some("/login"));
    assert_eq!(
        ada.get(&format!("{base}/")).await.status,
        StatusCode::SEE_OTHER
    );
    drop(app);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn minimal_lets_in_verified_emails_of_the_allowed_domain() {
    let app = start_example("minimal", &[("ALLOWED_DOMAIN", "example.org".into())]);
    let base = &app.base;
    // The development provider gives `<name>@example.com` unless the login is an email.
    let outsider = Browser::new();
    assert_eq!(
        outsider.dev_login(base, "ada").await.location.as_deref(),
        Some("/login")
    );
    assert_eq!(
        outsider.get(&format!("{base}/")).await.status,
        StatusCode::SEE_OTHER
    );

    let insider = Browser::new();
    assert_eq!(
        insider
            .dev_login(base, "ada@example.org")
            .await
            .location
            .as_deref(),
        Some("/")
    );
    let home = insider.get(&format!("{base}/")).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Logged in!"));
}
