use axum_oauth_login::oauth;

#[oauth(provider = "github", skip = [r"/\p{Greek2}"])]
struct Auth;

fn main() {}
