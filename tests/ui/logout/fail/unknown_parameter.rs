use axum::response::Redirect;
use oauth_runtime::{UserInfo, logout, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[logout]
fn logout(info: &UserInfo) -> Redirect {
    let _ = info;
    Redirect::to("/")
}

fn main() {}
