use axum_oauth_login::oauth;

#[oauth(provider = "github", login = "/login?next=/")]
struct Auth;

fn main() {}
