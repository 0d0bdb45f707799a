use axum_oauth_login::oauth;

#[oauth(provider = "github", login = "/signin", login = "/login")]
struct Auth;

fn main() {}
