use axum_oauth_login::oauth;

#[oauth(provider "github")]
struct Auth;

fn main() {}
