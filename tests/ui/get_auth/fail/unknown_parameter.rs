use axum::response::Redirect;
use axum_oauth_login::{UserInfo, get_auth, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(user: &UserInfo) -> Option<Redirect> {
    user.email_verified.then(|| Redirect::to("/"))
}

fn main() {}
