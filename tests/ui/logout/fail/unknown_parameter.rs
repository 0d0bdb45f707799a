use axum::response::Redirect;
use axum_oauth_login::{UserInfo, logout, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[logout]
fn logout(info: &UserInfo) -> Redirect {
    let _ = info;
    Redirect::to("/")
}

fn main() {}
