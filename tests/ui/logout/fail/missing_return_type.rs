use axum_oauth_login::{logout, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[logout]
async fn logout() {}

fn main() {}
