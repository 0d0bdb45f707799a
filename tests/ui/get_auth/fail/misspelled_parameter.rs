use axum::response::Redirect;
use axum_oauth_login::{Session, get_auth, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(sesion: &Session) -> Option<Redirect> {
    let _ = sesion;
    None
}

fn main() {}
