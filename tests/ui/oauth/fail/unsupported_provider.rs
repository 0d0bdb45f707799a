use axum_oauth_login::oauth;

#[oauth(provider = "twitter")]
struct Auth;

fn main() {}
