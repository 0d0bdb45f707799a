use axum_oauth_login::oauth;

#[oauth(redirect = "/callback")]
struct Auth;

fn main() {}
