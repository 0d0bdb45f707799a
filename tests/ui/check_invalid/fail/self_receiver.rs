use axum_oauth_login::{check_invalid, oauth};

#[oauth(provider = "dev")]
struct Auth;

impl Auth {
    #[check_invalid]
    fn check_invalid(&self, auth: &str) -> bool {
        auth == "mallory"
    }
}

fn main() {}
