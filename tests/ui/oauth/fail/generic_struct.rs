use axum_oauth_login::oauth;

#[oauth(provider = "github")]
struct Auth<T> {
    users: Vec<T>,
}

fn main() {}
