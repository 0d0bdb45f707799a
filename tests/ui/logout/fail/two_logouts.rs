use axum::response::Redirect;
use axum_oauth_login::{logout, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[logout]
fn logout() -> Redirect {
    Redirect::to("/")
}

#[logout]
fn logout_again() -> Redirect {
    Redirect::to("/")
}

fn main() {}
