use axum_oauth_login::oauth;

#[oauth(provider = "github", public = ["/", "blog/.*", "/blog"])]
struct Auth;

fn main() {}
