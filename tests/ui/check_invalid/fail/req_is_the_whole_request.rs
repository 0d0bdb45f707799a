use axum::body::Body;
use axum::http::Request;
use axum_oauth_login::{check_invalid, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[check_invalid]
fn check_invalid(req: &Request<Body>) -> bool {
    req.uri().path() == "/admin"
}

fn main() {}
