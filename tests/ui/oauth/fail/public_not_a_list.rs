use axum_oauth_login::oauth;

#[oauth(provider = "github", public = "/")]
struct Auth;

fn main() {}
