use axum_oauth_login::{check_invalid, oauth};

#[oauth(provider = "dev")]
struct Auth;

// The guard runs `check_invalid` for logged-in users only: `auth` is always there.
#[check_invalid]
fn check_invalid(auth: Option<&str>) -> bool {
    auth == Some("mallory")
}

fn main() {}
