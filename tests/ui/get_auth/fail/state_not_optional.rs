use axum::response::Redirect;
use axum_oauth_login::{get_auth, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(state: &str) -> Option<Redirect> {
    Some(Redirect::to(state))
}

fn main() {}
