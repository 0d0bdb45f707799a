//! Runs the generated adapter.
use std::sync::Arc;

use axum::response::Redirect;
use axum_oauth_login::hooks::{Logout, LogoutContext};
use axum_oauth_login::{Session, logout, oauth};
use tower_sessions::MemoryStore;

#[oauth(provider = "dev")]
struct Auth;

#[logout]
async fn logout(auth: Option<String>) -> Redirect {
    Redirect::to(&format!("/bye/{}", auth.unwrap_or_default()))
}

fn main() {
    let session = Session::new(None, Arc::new(MemoryStore::default()), None);
    let cx = LogoutContext {
        session,
        auth: Some("ada".to_owned()),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let response = rt.block_on(Auth.logout(&cx));
    assert_eq!(response.headers()["location"], "/bye/ada");
}
