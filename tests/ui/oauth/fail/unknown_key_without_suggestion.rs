use axum_oauth_login::oauth;

#[oauth(provider = "github", callback = "/callback")]
struct Auth;

fn main() {}
