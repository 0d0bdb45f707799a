use axum_oauth_login::oauth;

#[oauth(provider = "github", redirect = "/logout")]
struct Auth;

fn main() {}
