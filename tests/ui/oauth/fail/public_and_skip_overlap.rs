use axum_oauth_login::oauth;

#[oauth(provider = "github", skip = ["/", r"/static/.*"], public = ["/about", "/"])]
struct Auth;

fn main() {}
