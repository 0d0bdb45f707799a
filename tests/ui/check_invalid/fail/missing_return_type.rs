use axum_oauth_login::{check_invalid, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[check_invalid]
fn check_invalid(auth: &str) {
    let _ = auth;
}

fn main() {}
