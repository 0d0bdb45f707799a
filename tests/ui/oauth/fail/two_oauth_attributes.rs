use axum::response::Redirect;
use axum_oauth_login::{UserInfo, get_auth, oauth};

#[oauth(provider = "github")]
#[oauth(provider = "google")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

fn main() {}
