use std::sync::Arc;

use axum::response::Redirect;
use axum_oauth_login::{get_auth, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(oauth: &Arc<Auth>) -> Option<Redirect> {
    let _ = oauth;
    None
}

fn main() {}
