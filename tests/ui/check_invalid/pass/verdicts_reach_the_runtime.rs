//! Runs the generated adapter with a real request and session.
use std::sync::Arc;

use axum::http::StatusCode;
use axum_oauth_login::hooks::{CheckInvalid, GuardContext};
use axum_oauth_login::{Session, check_invalid, oauth};
use tower_sessions::MemoryStore;

#[oauth(provider = "dev")]
struct Auth;

#[check_invalid]
fn check_invalid(req: &http::request::Parts, auth: &str) -> Option<(StatusCode, String)> {
    (auth == "mallory").then(|| (StatusCode::FORBIDDEN, format!("no {}", req.uri.path())))
}

fn main() {
    let (req, ()) = http::Request::get("/private")
        .body(())
        .unwrap()
        .into_parts();
    let session = Session::new(None, Arc::new(MemoryStore::default()), None);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let cx = GuardContext {
            req: &req,
            session: &session,
            auth: "mallory",
        };
        let response = Auth.check_invalid(&cx).await.unwrap().unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let cx = GuardContext {
            req: &req,
            session: &session,
            auth: "ada",
        };
        assert!(Auth.check_invalid(&cx).await.is_none());
    });
}
