use axum::response::Redirect;
use axum_oauth_login::{get_auth, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth<S: AsRef<str>>(ident: S) -> Option<Redirect> {
    let _ = ident.as_ref();
    None
}

fn main() {}
