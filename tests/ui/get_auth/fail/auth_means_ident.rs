use axum::response::Redirect;
use axum_oauth_login::{get_auth, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(auth: &str) -> Option<Redirect> {
    (!auth.is_empty()).then(|| Redirect::to("/"))
}

fn main() {}
