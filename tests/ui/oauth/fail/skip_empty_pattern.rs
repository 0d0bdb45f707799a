use axum_oauth_login::oauth;

#[oauth(provider = "github", skip = [""])]
struct Auth;

fn main() {}
