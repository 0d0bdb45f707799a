use axum_oauth_login::oauth;

#[oauth(provider = "gihub", redirect = "callback", skip = ["/public", "/static/(.*"])]
struct Auth;

fn main() {}
