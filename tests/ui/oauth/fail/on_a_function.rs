use axum_oauth_login::oauth;

#[oauth(provider = "github")]
fn auth() {}

fn main() {}
