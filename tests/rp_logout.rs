//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) with `provider_logout(true)`: the
//! local session ends, the browser goes to the provider's end-session endpoint with the ID token
//! as hint, a fresh `state` and the logout path as `post_logout_redirect_uri`; the provider sends
//! it back there, the `state` is checked, and the `#[logout]` hook answers. A return without the
//! `state`, or with another one, lands on the error page (the user is logged out either way).

mod common;

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use axum_oauth_login::dev::{DevProvider, Fault};
use axum_oauth_login::prelude::*;
use common::{Browser, login_page};
use reqwest::StatusCode;

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

#[logout]
fn logout(auth: Option<&str>) -> Redirect {
    Redirect::to(&format!("/bye?who={}", auth.unwrap_or("nobody")))
}

fn routes() -> Router {
    Router::new()
        .route(
            "/",
            get(|Ident(a): Ident| async move { format!("hello {a}") }),
        )
        .route("/login", get(login_page))
}

/// A served app with provider logout on, its development provider, and a browser logged in.
async fn logged_in() -> (common::Server, DevProvider, Browser) {
    let (server, dev) = common::serve_dev(|dev, base| {
        Auth.builder(dev.client())
            .public_url(base.parse().unwrap())
            .provider_logout(true)
            .install(routes())
    })
    .await;
    let b = Browser::new();
    let done = b.dev_login(&server.base, "ada").await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    (server, dev, b)
}

/// Logs out (a `POST` from the app's page): the redirect to the provider's end-session endpoint,
/// after which the user is logged out here.
async fn log_out(b: &Browser, base: &str) -> String {
    let out = b.post(&format!("{base}/logout")).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", out.body);
    let end_session = out.location.expect("a redirect to the provider");
    assert!(
        end_session.starts_with(&format!("{base}/_dev/oauth/logout?")),
        "{end_session}"
    );
    let home = b.get(&format!("{base}/")).await;
    assert_eq!(
        home.status,
        StatusCode::SEE_OTHER,
        "logged out here at once"
    );
    end_session
}

/// `oidcc-client-test-rp-init-logout`: the provider sends the browser back with the `state`.
#[tokio::test]
async fn provider_logout_sends_a_state_and_checks_it_on_return() {
    let (server, _dev, b) = logged_in().await;
    let base = &server.base;
    let who = b.get(&format!("{base}/")).await.body;
    let end_session = log_out(&b, base).await;
    let q = common::query(&end_session);
    assert!(q.contains_key("id_token_hint"), "{end_session}");
    assert_eq!(q["post_logout_redirect_uri"], format!("{base}/logout"));
    let state = q.get("state").expect("a state").clone();
    assert!(state.len() >= 32, "{state}");

    let back = b.get(&end_session).await;
    let location = back.location.expect("back to the app");
    assert_eq!(
        common::query(&location).get("state"),
        Some(&state),
        "{location}"
    );
    let done = b.get(&location).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    // The `#[logout]` hook answers the return, and knows who logged out.
    let ident = who.trim_start_matches("hello ");
    assert_eq!(done.location, Some(format!("/bye?who={ident}")));
    // The state is used up: the same return again is refused.
    let again = b.get(&location).await;
    assert_eq!(
        again.location.as_deref(),
        Some("/error?code=logout_state_mismatch")
    );
    // And two logouts in a row each get their own state.
    b.dev_login(base, "ada").await;
    let second = common::query(&log_out(&b, base).await)["state"].clone();
    assert_ne!(second, state);
}

/// The provider's return with `fault`: refused on the error page, the user logged out, the hook
/// not asked; the next login and logout work.
async fn return_refused(fault: Fault) {
    let (server, dev, b) = logged_in().await;
    let base = &server.base;
    let end_session = log_out(&b, base).await;
    dev.set_fault(Some(fault));
    let back = b.get(&end_session).await;
    dev.set_fault(None);
    let location = back.location.expect("back to the app");
    assert!(
        location.starts_with(&format!("{base}/logout")),
        "{location}"
    );
    let done = b.get(&location).await;
    assert_eq!(
        done.location.as_deref(),
        Some("/error?code=logout_state_mismatch"),
        "{fault:?}: {}",
        done.body
    );
    let home = b.get(&format!("{base}/")).await;
    assert_eq!(home.status, StatusCode::SEE_OTHER, "{fault:?}: logged out");

    let done = b.dev_login(base, "ada").await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    let end_session = log_out(&b, base).await;
    let back = b.get(&end_session).await.location.expect("back");
    let done = b.get(&back).await;
    assert!(
        done.location
            .as_deref()
            .is_some_and(|l| l.starts_with("/bye?")),
        "{fault:?}: {:?}",
        done.location
    );
}

/// `oidcc-client-test-rp-init-logout-no-state`.
#[tokio::test]
async fn provider_logout_return_without_state_is_refused() {
    return_refused(Fault::EndSessionWithoutState).await;
}

/// `oidcc-client-test-rp-init-logout-other-state`.
#[tokio::test]
async fn provider_logout_return_with_another_state_is_refused() {
    return_refused(Fault::EndSessionOtherState).await;
}

/// A return nobody started (a forged link to `/logout?state=...`) is refused, and does not log
/// out a logged-in user.
#[tokio::test]
async fn a_logout_return_nobody_started_is_refused() {
    let (server, _dev, b) = logged_in().await;
    let base = &server.base;
    let forged = b
        .get_with(
            &format!("{base}/logout?state=forged"),
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(
        forged.location.as_deref(),
        Some("/error?code=logout_state_mismatch")
    );
    let home = b.get(&format!("{base}/")).await;
    assert_eq!(home.status, StatusCode::OK, "still logged in");
}
