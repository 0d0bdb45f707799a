//! One mistake in `#[oauth]`: one error, none from the code that uses the struct.
use axum::Router;
use axum::response::Redirect;
use axum_oauth_login::{OAuth, UserInfo, check_invalid, get_auth, oauth};

#[oauth(provider = "gihub")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

#[check_invalid]
fn check_invalid() -> bool {
    false
}

fn main() {
    let client = axum_oauth_login::dev::DevProvider::new("http://localhost:8000")
        .unwrap()
        .client();
    let _app: axum_oauth_login::GuardedApp = Auth.install(Router::new(), client);
    let _ = <Auth as OAuth>::CONFIG.redirect;
}
