use axum_oauth_login::oauth;

#[oauth(provider = "github", logout = "/logout/{id}")]
struct Auth;

fn main() {}
