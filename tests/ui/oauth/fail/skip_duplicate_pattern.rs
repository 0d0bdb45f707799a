use axum_oauth_login::oauth;

#[oauth(provider = "github", skip = ["/public", "/about", "/public"])]
struct Auth;

fn main() {}
