use axum_oauth_login::oauth;

#[oauth(provider = "github")]
struct Auth<'a> {
    domain: &'a str,
}

fn main() {}
