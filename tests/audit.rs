//! Audit events (`OAuthBuilder::on_audit`): each flow records its event, with the provider, the
//! ident or the error code, and no event (nor the `tracing` output of the audit target) carries a
//! token, an authorization code, the client secret or the session cookie.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use axum_oauth_login::audit::{AuditEvent, LogoutKind, RefreshOutcome};
use axum_oauth_login::dev::{CLIENT_SECRET, DevProvider, Fault};
use axum_oauth_login::prelude::*;
use common::{Browser, login_page};
use reqwest::StatusCode;

#[oauth(provider = "dev")]
struct Auth {
    /// `check_invalid` ends every session while this is set.
    invalidate: Arc<AtomicBool>,
}

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    (info.email.as_deref() != Some("mallory@example.com")).then(|| Redirect::to("/"))
}

#[check_invalid]
fn check_invalid(oauth: &Auth) -> bool {
    oauth.invalidate.load(Ordering::SeqCst)
}

type Events = Arc<Mutex<Vec<AuditEvent>>>;

struct App {
    server: common::Server,
    dev: DevProvider,
    events: Events,
    invalidate: Arc<AtomicBool>,
}

impl App {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base)
    }

    /// The events recorded since the last call.
    fn take(&self) -> Vec<AuditEvent> {
        std::mem::take(&mut *self.events.lock().unwrap())
    }
}

fn routes() -> Router {
    Router::new()
        .route(
            "/",
            get(|Ident(a): Ident| async move { format!("hello {a}") }),
        )
        .route("/login", get(login_page))
        .route(
            "/tokens",
            get(|t: UserTokens| async move {
                let t = t.get().await?;
                Ok::<_, Error>(format!(
                    "{}\n{}\n{}",
                    t.access_token(),
                    t.refresh_token().unwrap_or_default(),
                    t.id_token().unwrap_or_default()
                ))
            }),
        )
        .route(
            "/refresh",
            get(|t: UserTokens| async move {
                t.refresh()
                    .await
                    .map_or_else(|e| e.code().to_owned(), |_| "ok".to_owned())
            }),
        )
        .route(
            "/revoke",
            get(|t: UserTokens| async move {
                t.revoke()
                    .await
                    .map_or_else(|e| e.code().to_owned(), |()| "ok".to_owned())
            }),
        )
}

async fn start(provider_logout: bool) -> App {
    let events: Events = Arc::default();
    let invalidate = Arc::new(AtomicBool::new(false));
    let (sink, flag) = (events.clone(), invalidate.clone());
    let (server, dev) = common::serve_dev(move |dev, base| {
        Auth { invalidate: flag }
            .builder(dev.client())
            .public_url(base.parse().unwrap())
            .provider_logout(provider_logout)
            .on_audit(move |event| sink.lock().unwrap().push(event.clone()))
            .install(routes())
    })
    .await;
    App {
        server,
        dev,
        events,
        invalidate,
    }
}

fn started() -> AuditEvent {
    AuditEvent::LoginStarted {
        provider: "dev".into(),
    }
}

/// Logs `name` in; the ident.
async fn log_in(app: &App, b: &Browser, name: &str) -> String {
    let done = b.dev_login(&app.server.base, name).await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    let home = b.get(&app.url("/")).await.body;
    home.trim_start_matches("hello ").to_owned()
}

#[tokio::test]
async fn every_flow_records_its_event_and_none_carries_a_secret() {
    let app = start(false).await;
    let mut secrets = vec![CLIENT_SECRET.to_owned()];
    let mut all = Vec::new();

    // A login, then the tokens and cookie it made (secrets the events must not carry).
    let b = Browser::new();
    let callback = b.dev_authorize(&app.server.base, "/login", "ada").await;
    secrets.push(common::query(&callback)["code"].clone());
    b.get(&callback).await;
    let ada = b
        .get(&app.url("/"))
        .await
        .body
        .trim_start_matches("hello ")
        .to_owned();
    assert!(ada.starts_with("dev:dev-"), "{ada}");
    let events = app.take();
    assert_eq!(
        events,
        [
            started(),
            AuditEvent::LoginSucceeded {
                provider: "dev".into(),
                ident: ada.clone()
            }
        ]
    );
    all.extend(events);
    secrets.extend(
        b.get(&app.url("/tokens"))
            .await
            .body
            .lines()
            .map(str::to_owned),
    );
    secrets.push(b.cookie_header(&app.server.base).unwrap());

    // Refreshes: one that works, one the provider fails (kept), then revocation.
    assert_eq!(b.get(&app.url("/refresh")).await.body, "ok");
    secrets.extend(
        b.get(&app.url("/tokens"))
            .await
            .body
            .lines()
            .map(str::to_owned),
    );
    app.dev.set_fault(Some(Fault::TokenEndpoint500));
    assert_eq!(b.get(&app.url("/refresh")).await.body, "token_exchange");
    app.dev.set_fault(None);
    assert_eq!(b.get(&app.url("/revoke")).await.body, "ok");
    let events = app.take();
    let refresh = |outcome| AuditEvent::Refresh {
        provider: "dev".into(),
        outcome,
    };
    assert_eq!(
        events,
        [
            refresh(RefreshOutcome::Refreshed),
            refresh(RefreshOutcome::Transient),
            AuditEvent::Revoked {
                provider: "dev".into()
            }
        ]
    );
    all.extend(events);

    // A local logout.
    b.get_with(&app.url("/logout"), &[("sec-fetch-site", "same-origin")])
        .await;
    let events = app.take();
    assert_eq!(
        events,
        [AuditEvent::Logout {
            kind: LogoutKind::Local,
            ident: Some(ada.clone())
        }]
    );
    all.extend(events);

    // Denied by get_auth, and failed (a bad signature, then a replayed callback).
    let mallory = Browser::new();
    mallory.dev_login(&app.server.base, "mallory").await;
    let b = Browser::new();
    let callback = b.dev_authorize(&app.server.base, "/login", "ada").await;
    app.dev.set_fault(Some(Fault::BadSignature));
    b.get(&callback).await;
    app.dev.set_fault(None);
    b.get(&callback).await;
    let events = app.take();
    let failed = |code| AuditEvent::LoginFailed {
        provider: "dev".into(),
        code,
    };
    assert_eq!(events.len(), 5, "{events:?}");
    assert_eq!(events[0], started());
    assert!(
        matches!(&events[1], AuditEvent::LoginDenied { provider, ident } if provider == "dev" && ident.starts_with("dev:dev-")),
        "{events:?}"
    );
    assert_eq!(
        events[2..],
        [started(), failed("id_token"), failed("state_mismatch")]
    );
    all.extend(events);

    // check_invalid ends a session; back-channel logout ends another; the refresh token refused.
    let b = Browser::new();
    let ident = log_in(&app, &b, "bob").await;
    app.invalidate.store(true, Ordering::SeqCst);
    assert_eq!(b.get(&app.url("/")).await.status, StatusCode::SEE_OTHER);
    app.invalidate.store(false, Ordering::SeqCst);
    let c = Browser::new();
    let carol = log_in(&app, &c, "carol").await;
    assert_eq!(app.dev.backchannel_logout("carol").await.unwrap(), [200]);
    let d = Browser::new();
    log_in(&app, &d, "dan").await;
    app.dev.revoke_user("dan");
    assert_eq!(d.get(&app.url("/refresh")).await.body, "invalid_grant");
    let events = app.take();
    assert!(
        events.contains(&AuditEvent::SessionInvalidated { ident }),
        "{events:?}"
    );
    assert!(
        events.contains(&AuditEvent::Logout {
            kind: LogoutKind::BackChannel,
            ident: Some(carol)
        }),
        "{events:?}"
    );
    assert!(
        events.contains(&refresh(RefreshOutcome::InvalidGrant)),
        "{events:?}"
    );
    all.extend(events);

    let text = format!("{all:?}");
    for secret in secrets.iter().filter(|s| s.len() >= 8) {
        for piece in secret
            .split("; ")
            .flat_map(|c| c.split('='))
            .filter(|p| p.len() >= 8)
        {
            assert!(!text.contains(piece), "an event carries a secret: {piece}");
        }
    }
}

#[tokio::test]
async fn a_logout_at_the_provider_is_recorded_as_such() {
    let app = start(true).await;
    let b = Browser::new();
    let ident = log_in(&app, &b, "ada").await;
    app.take();
    let out = b.post(&app.url("/logout")).await;
    assert!(out.location.unwrap().contains("/_dev/oauth/logout?"));
    assert_eq!(
        app.take(),
        [AuditEvent::Logout {
            kind: LogoutKind::Provider,
            ident: Some(ident)
        }]
    );
}

#[tokio::test]
async fn an_async_hook_gets_every_event() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (server, _dev) = common::serve_dev(move |dev, base| {
        Auth {
            invalidate: Arc::default(),
        }
        .builder(dev.client())
        .public_url(base.parse().unwrap())
        .on_audit_async(move |event| {
            let tx = tx.clone();
            async move {
                tx.send(event).unwrap();
            }
        })
        .install(routes())
    })
    .await;
    Browser::new().dev_login(&server.base, "ada").await;
    let first = rx.recv().await.unwrap();
    let second = rx.recv().await.unwrap();
    assert_eq!(first, started());
    assert_eq!(second.name(), "login_succeeded");
}
