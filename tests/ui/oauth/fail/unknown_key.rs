use axum_oauth_login::oauth;

#[oauth(provider = "github", redirct = "/callback")]
struct Auth;

fn main() {}
