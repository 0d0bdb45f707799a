use axum_oauth_login::oauth;

#[oauth(provider = "")]
struct Auth;

fn main() {}
