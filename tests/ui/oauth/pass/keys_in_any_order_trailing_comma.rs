use axum_oauth_login::{OAuth, oauth};

#[oauth(skip = [], login = "/signin", provider = "discord",)]
struct Auth;

fn main() {
    assert_eq!(<Auth as OAuth>::CONFIG.provider, "discord");
    assert_eq!(<Auth as OAuth>::CONFIG.login, "/signin");
    let _ = Auth;
}
