use axum_oauth_login::{UserInfo, get_auth, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> bool {
    info.email_verified
}

fn main() {}
