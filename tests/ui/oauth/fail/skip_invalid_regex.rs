use axum_oauth_login::oauth;

#[oauth(provider = "github", skip = ["/public", r"/static/(.*"])]
struct Auth;

fn main() {}
