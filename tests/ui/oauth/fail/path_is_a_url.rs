use axum_oauth_login::oauth;

#[oauth(provider = "github", redirect = "http://localhost:8000/redirect")]
struct Auth;

fn main() {}
