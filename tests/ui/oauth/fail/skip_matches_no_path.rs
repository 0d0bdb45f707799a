use axum_oauth_login::oauth;

// Patterns match the whole path, which starts with `/`.
#[oauth(provider = "github", skip = ["static/.*"])]
struct Auth;

fn main() {}
