use axum_oauth_login::{logout, oauth};

#[oauth(provider = "dev")]
struct Auth;

struct Goodbye;

#[logout]
fn logout() -> Goodbye {
    Goodbye
}

fn main() {}
