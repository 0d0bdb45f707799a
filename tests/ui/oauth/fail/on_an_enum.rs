use axum_oauth_login::oauth;

#[oauth(provider = "github")]
enum Auth {
    GitHub,
}

fn main() {}
