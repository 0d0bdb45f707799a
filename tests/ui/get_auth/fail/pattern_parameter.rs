use axum::response::Redirect;
use axum_oauth_login::{UserInfo, get_auth, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(UserInfo { email, .. }: &UserInfo) -> Option<Redirect> {
    email.as_ref().map(|_| Redirect::to("/"))
}

fn main() {}
