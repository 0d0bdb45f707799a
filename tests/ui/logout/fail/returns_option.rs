use axum_oauth_login::{logout, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[logout]
fn logout() -> Option<String> {
    Some("bye".to_owned())
}

fn main() {}
