//! One mistake in `#[get_auth]`: one error, none from the code that needs the hook.
use axum::Router;
use axum::response::Redirect;
use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(infos: &UserInfo) -> Option<Redirect> {
    infos.email_verified.then(|| Redirect::to("/"))
}

fn main() {
    let client = axum_oauth_login::dev::DevProvider::new("http://localhost:8000")
        .unwrap()
        .client();
    let _app: axum_oauth_login::GuardedApp = Auth.install(Router::new(), client);
}
