use axum::response::Redirect;
use axum_oauth_login::{logout, oauth};

#[oauth(provider = "dev")]
struct Auth;

// Logging out without being logged in is fine: `auth` may be missing.
#[logout]
fn logout(auth: &str) -> Redirect {
    let _ = auth;
    Redirect::to("/")
}

fn main() {}
