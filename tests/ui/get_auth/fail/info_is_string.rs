use axum::response::Redirect;
use axum_oauth_login::{get_auth, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(info: String) -> Option<Redirect> {
    let _ = info;
    None
}

fn main() {}
