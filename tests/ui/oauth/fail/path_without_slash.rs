use axum_oauth_login::oauth;

#[oauth(provider = "github", redirect = "callback")]
struct Auth;

fn main() {}
