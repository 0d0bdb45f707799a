use axum_oauth_login::oauth;

#[oauth(provider = "github", login = "/auth", logout = "/auth")]
struct Auth;

fn main() {}
