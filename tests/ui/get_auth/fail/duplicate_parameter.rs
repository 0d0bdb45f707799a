use axum::response::Redirect;
use axum_oauth_login::{UserInfo, get_auth, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo, ident: &str, info: UserInfo) -> Option<Redirect> {
    let _ = (info, ident);
    None
}

fn main() {}
