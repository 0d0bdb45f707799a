use axum_oauth_login::{OAuth, oauth};

// `login` and `error` are the app's own routes: one page may serve both.
#[oauth(provider = "dev", error = "/login", login = "/login")]
struct Auth;

fn main() {
    assert_eq!(<Auth as OAuth>::CONFIG.error, <Auth as OAuth>::CONFIG.login);
    let _ = Auth;
}
