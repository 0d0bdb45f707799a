use axum::response::Redirect;
use oauth_runtime::{UserInfo, get_auth};

struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

fn main() {}
