use axum_oauth_login::{UserInfo, check_invalid, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[check_invalid]
fn check_invalid(info: &UserInfo) -> bool {
    !info.email_verified
}

fn main() {}
