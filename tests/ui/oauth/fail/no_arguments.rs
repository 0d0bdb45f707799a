use axum_oauth_login::oauth;

#[oauth]
struct Auth;

fn main() {}
