use axum_oauth_login::oauth;

#[oauth(provider = "github", skip = "/public")]
struct Auth;

fn main() {}
