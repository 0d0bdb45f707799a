use axum::response::Redirect;
use axum_oauth_login::{Session, get_auth, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(session: &mut Session) -> Option<Redirect> {
    let _ = session;
    None
}

fn main() {}
