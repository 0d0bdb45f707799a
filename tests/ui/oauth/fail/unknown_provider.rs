use axum_oauth_login::oauth;

#[oauth(provider = "gihub")]
struct Auth;

fn main() {}
