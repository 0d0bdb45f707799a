use axum::body::Body;
use axum::http::Request;
use oauth_runtime::{check_invalid, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[check_invalid]
fn check_invalid(req: &Request<Body>) -> bool {
    req.uri().path() == "/admin"
}

fn main() {}
