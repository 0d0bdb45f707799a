use axum::response::Redirect;
use axum_oauth_login::{get_auth, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[oauth(provider = "dev")]
struct Other;

#[get_auth(Other)]
fn get_auth(oauth: &Auth) -> Option<Redirect> {
    let _ = oauth;
    None
}

fn main() {}
