use axum_oauth_login::{check_invalid, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[check_invalid]
async fn check_invalid(auth: &str) -> String {
    format!("{auth} is banned")
}

fn main() {}
