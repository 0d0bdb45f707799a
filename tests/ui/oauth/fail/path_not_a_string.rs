use axum_oauth_login::oauth;

const LOGIN: &str = "/signin";

#[oauth(provider = "github", login = LOGIN)]
struct Auth;

fn main() {}
