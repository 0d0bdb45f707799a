use axum_oauth_login::{logout, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[logout]
const LOGOUT: &str = "/bye";

fn main() {}
