use axum_oauth_login::oauth;

#[oauth(provider = "github" login = "/signin")]
struct Auth;

fn main() {}
