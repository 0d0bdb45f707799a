use axum::response::Redirect;
use axum_oauth_login::{UserInfo, get_auth, hooks::GetAuth, oauth};

#[oauth(provider = "google")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

fn assert_get_auth<T: GetAuth>() {}

fn main() {
    assert_get_auth::<Auth>();
    let _ = Auth;
}
