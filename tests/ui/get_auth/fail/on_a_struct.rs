use axum_oauth_login::get_auth;

#[get_auth]
struct Auth;

fn main() {}
