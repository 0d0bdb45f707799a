use axum::response::Redirect;
use axum_oauth_login::{OAuth, check_invalid, get_auth, logout, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth() -> Option<Redirect> {
    None
}

#[check_invalid]
fn check_invalid() -> bool {
    false
}

#[logout]
fn logout() -> Redirect {
    Redirect::to("/bye")
}

/// Only `#[get_auth]`: no optional hook.
#[oauth(provider = "dev")]
struct Bare;

#[get_auth(Bare)]
fn bare() -> Option<Redirect> {
    None
}

/// Only `#[logout]`.
#[oauth(provider = "dev")]
struct LogoutOnly;

#[logout(LogoutOnly)]
fn logout_only() -> Redirect {
    Redirect::to("/")
}

fn main() {
    assert!(<Auth as OAuth>::hooks().check_invalid.is_some());
    assert!(<Auth as OAuth>::hooks().logout.is_some());
    assert!(<Bare as OAuth>::hooks().check_invalid.is_none());
    assert!(<Bare as OAuth>::hooks().logout.is_none());
    assert!(<LogoutOnly as OAuth>::hooks().check_invalid.is_none());
    assert!(<LogoutOnly as OAuth>::hooks().logout.is_some());
    let _ = (Auth, Bare, LogoutOnly);
}
