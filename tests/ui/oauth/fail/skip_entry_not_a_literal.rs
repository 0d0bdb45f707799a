use axum_oauth_login::oauth;

const PUBLIC: &str = "/public";

#[oauth(provider = "github", skip = ["/about", PUBLIC])]
struct Auth;

fn main() {}
