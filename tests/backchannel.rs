//! OpenID Connect Back-Channel Logout 1.0 against the development provider: the provider posts a
//! logout token and the sessions it names end; each invalid token of the OpenID Foundation's
//! `oidcc-client-back-channel-logout-rp-basic` plan is refused with `400` and the session stays.
//! (Two instances on Redis and on PostgreSQL against `oidc-provider`: `tests/oidc_conformance.rs`.)

mod common;

use axum::response::Redirect;
use axum::routing::get;
use axum_oauth_login::dev::{DevProvider, Fault};
use axum_oauth_login::prelude::*;
use common::{Browser, Server, login_page};
use reqwest::StatusCode;

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

struct App {
    server: Server,
    dev: DevProvider,
}

async fn start() -> App {
    let (server, dev) = common::serve_dev(|dev, base| {
        Auth.builder(dev.client())
            .public_url(base.parse().unwrap())
            .install(common::hello_routes().route("/login", get(login_page)))
    })
    .await;
    App { server, dev }
}

impl App {
    /// A new browser logged in as `name`.
    async fn logged_in(&self, name: &str) -> Browser {
        let b = Browser::new();
        let done = b.dev_login(&self.server.base, name).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        assert_eq!(done.location.as_deref(), Some("/"));
        assert!(self.is_logged_in(&b).await, "the login did not take");
        b
    }

    async fn is_logged_in(&self, b: &Browser) -> bool {
        let home = b.get(&format!("{}/", self.server.base)).await;
        match home.status {
            StatusCode::OK => true,
            StatusCode::SEE_OTHER => false,
            other => panic!("{other}: {}", home.body),
        }
    }

    /// Posts `token` as a provider would (no cookie, a form).
    async fn post_logout_token(&self, token: &str) -> (StatusCode, String) {
        let res = common::http_client()
            .build()
            .unwrap()
            .post(format!("{}/backchannel-logout", self.server.base))
            .form(&[("logout_token", token)])
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.text().await.unwrap())
    }
}

/// `oidcc-client-test-backchannel-logout` (happy path): the provider's logout token ends the
/// session it names, and only that one; a second provider session of the same user is ended by
/// its own token; other users stay.
#[tokio::test]
async fn backchannel_logout_ends_the_sessions_of_the_provider_session() {
    let app = start().await;
    let ada_here = app.logged_in("ada").await;
    let ada_there = app.logged_in("ada").await;
    let bob = app.logged_in("bob").await;

    let token = app.dev.logout_token("ada").expect("ada logged in");
    let (status, body) = app.post_logout_token(&token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        !app.is_logged_in(&ada_there).await,
        "the latest login's sid"
    );
    assert!(
        app.is_logged_in(&ada_here).await,
        "another provider session"
    );

    assert_eq!(app.dev.backchannel_logout("ada").await.unwrap(), [200, 200]);
    assert!(!app.is_logged_in(&ada_here).await);
    assert!(app.is_logged_in(&bob).await, "bob was not logged out");
}

/// A token that names the user but no provider session ends every session of the user.
#[tokio::test]
async fn a_logout_token_without_sid_ends_every_session_of_the_user() {
    let app = start().await;
    let here = app.logged_in("ada").await;
    let there = app.logged_in("ada").await;
    let bob = app.logged_in("bob").await;
    app.dev.set_fault(Some(Fault::LogoutTokenWithoutSid));
    let token = app.dev.logout_token("ada").unwrap();
    let (status, body) = app.post_logout_token(&token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!app.is_logged_in(&here).await);
    assert!(!app.is_logged_in(&there).await);
    assert!(app.is_logged_in(&bob).await);
}

/// The same token twice: the second is refused (its `jti` was used), whatever it would end.
#[tokio::test]
async fn a_replayed_logout_token_is_refused() {
    let app = start().await;
    let b = app.logged_in("ada").await;
    let token = app.dev.logout_token("ada").unwrap();
    assert_eq!(app.post_logout_token(&token).await.0, StatusCode::OK);
    assert!(!app.is_logged_in(&b).await);
    let (status, body) = app.post_logout_token(&token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("already used"), "{body}");
}

/// A logout token bent by `fault` is refused with Back-Channel Logout 1.0's `400` and JSON
/// error, and the session stays; the same provider without the fault then logs the user out.
async fn refused(fault: Fault, why: &str) {
    let app = start().await;
    let b = app.logged_in("ada").await;
    app.dev.set_fault(Some(fault));
    let statuses = app.dev.backchannel_logout("ada").await.unwrap();
    assert_eq!(statuses, [400], "{fault:?}");
    let token = app.dev.logout_token("ada").unwrap();
    let (status, body) = app.post_logout_token(&token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{fault:?}: {body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"], "invalid_request", "{fault:?}: {body}");
    let description = json["error_description"].as_str().unwrap();
    assert!(description.contains(why), "{fault:?}: {description}");
    assert!(
        !description.contains(&token),
        "{fault:?}: the token is echoed"
    );
    assert!(
        app.is_logged_in(&b).await,
        "{fault:?}: logged out by a bad token"
    );

    app.dev.set_fault(None);
    assert_eq!(app.dev.backchannel_logout("ada").await.unwrap(), [200]);
    assert!(
        !app.is_logged_in(&b).await,
        "{fault:?}: a good token did not log out"
    );
}

/// `oidcc-client-test-backchannel-logout-alg-none`.
#[tokio::test]
async fn backchannel_logout_alg_none_is_refused() {
    refused(
        Fault::LogoutTokenAlgNone,
        "malformed token or unsupported algorithm",
    )
    .await;
}

/// `oidcc-client-test-backchannel-logout-wrong-alg`: HS256 with the client secret.
#[tokio::test]
async fn backchannel_logout_wrong_alg_is_refused() {
    refused(Fault::LogoutTokenWrongAlg, "not allowed").await;
}

/// `oidcc-client-test-backchannel-logout-no-events`.
#[tokio::test]
async fn backchannel_logout_without_events_is_refused() {
    refused(Fault::LogoutTokenNoEvents, "missing claim `events`").await;
}

/// `oidcc-client-test-backchannel-logout-wrong-events`.
#[tokio::test]
async fn backchannel_logout_wrong_events_is_refused() {
    refused(
        Fault::LogoutTokenWrongEvents,
        "no back-channel logout event",
    )
    .await;
}

/// `oidcc-client-test-backchannel-logout-nonce`.
#[tokio::test]
async fn backchannel_logout_with_a_nonce_is_refused() {
    refused(Fault::LogoutTokenNonce, "no `nonce`").await;
}

/// `oidcc-client-test-backchannel-logout-wrong-aud`.
#[tokio::test]
async fn backchannel_logout_wrong_audience_is_refused() {
    refused(Fault::LogoutTokenWrongAudience, "wrong audience").await;
}

/// `oidcc-client-test-backchannel-logout-wrong-iss`: from no provider of the app.
#[tokio::test]
async fn backchannel_logout_wrong_issuer_is_refused() {
    refused(
        Fault::LogoutTokenWrongIssuer,
        "from no provider of this app",
    )
    .await;
}

/// Not a logout token at all, or none: `400`, and a `GET` is not routed.
#[tokio::test]
async fn garbage_is_refused_and_the_endpoint_takes_posts_only() {
    let app = start().await;
    let b = app.logged_in("ada").await;
    for garbage in ["", "x", "a.b.c"] {
        let (status, body) = app.post_logout_token(garbage).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{garbage:?}: {body}");
    }
    let none = common::http_client()
        .build()
        .unwrap()
        .post(format!("{}/backchannel-logout", app.server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), StatusCode::BAD_REQUEST);
    let get = b
        .get(&format!("{}/backchannel-logout", app.server.base))
        .await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(app.is_logged_in(&b).await);
}

/// A token for a provider session the user already left (local logout, then a new login in the
/// same browser) ends nothing: the new login has a provider session of its own.
#[tokio::test]
async fn a_token_for_an_ended_session_leaves_the_next_login_alone() {
    let app = start().await;
    let b = app.logged_in("ada").await;
    let old = app.dev.logout_token("ada").unwrap();
    let out = b.post(&format!("{}/logout", app.server.base)).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", out.body);
    assert!(!app.is_logged_in(&b).await);
    let again = b.dev_login(&app.server.base, "ada").await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(app.post_logout_token(&old).await.0, StatusCode::OK);
    assert!(
        app.is_logged_in(&b).await,
        "the new login was ended by the old token"
    );
}

/// The endpoint is on by default only when the provider announces back-channel logout
/// (`backchannel_logout_supported`, read into `OidcConfig::backchannel_logout`); an explicit path
/// turns it on for a provider that does not say so.
#[tokio::test]
async fn the_endpoint_follows_the_providers_announcement() {
    for (explicit, on) in [(false, false), (true, true)] {
        let (server, dev) = common::serve_dev(|dev, base| {
            let client = dev.client().with_provider(|p| {
                p.oidc.as_mut().unwrap().backchannel_logout = false;
            });
            let builder = Auth.builder(client).public_url(base.parse().unwrap());
            let builder = if explicit {
                builder.backchannel_logout(Some("/backchannel-logout"))
            } else {
                builder
            };
            builder.install(common::hello_routes().route("/login", get(login_page)))
        })
        .await;
        let app = App { server, dev };
        let b = app.logged_in("ada").await;
        let token = app.dev.logout_token("ada").unwrap();
        let (status, body) = app.post_logout_token(&token).await;
        if on {
            assert_eq!(status, StatusCode::OK, "{body}");
            assert!(!app.is_logged_in(&b).await);
        } else {
            // No such route: the guard answers the anonymous POST, and nothing ends.
            assert_ne!(status, StatusCode::OK, "{body}");
            assert_ne!(status, StatusCode::BAD_REQUEST, "{body}");
            assert!(app.is_logged_in(&b).await);
        }
    }
}
