use axum_oauth_login::oauth;

#[oauth("github")]
struct Auth;

fn main() {}
