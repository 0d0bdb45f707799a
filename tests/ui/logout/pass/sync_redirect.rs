use axum::response::Redirect;
use axum_oauth_login::{OAuth, hooks::Logout, logout, oauth};

#[oauth(provider = "google")]
struct Auth;

#[logout]
fn logout() -> Redirect {
    Redirect::to("/goodbye")
}

fn assert_logout<T: Logout>() {}

fn main() {
    assert_logout::<Auth>();
    assert!(<Auth as OAuth>::hooks().logout.is_some());
    let _ = Auth;
}
