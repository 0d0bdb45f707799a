use std::rc::Rc;

use axum_oauth_login::oauth;

#[oauth(provider = "github")]
struct Auth {
    users: Rc<Vec<String>>,
}

fn main() {}
