use axum_oauth_login::{UserInfo, get_auth, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) {
    let _ = info;
}

fn main() {}
