use axum::response::Redirect;
use axum_oauth_login::{UserInfo, get_auth, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
async fn get_auth(info: &UserInfo) -> Redirect {
    let _ = info;
    Redirect::to("/")
}

fn main() {}
