use axum::Router;
use axum_oauth_login::{OAuth, oauth};

#[oauth(provider = "dev")]
struct Auth;

fn main() {
    let client = axum_oauth_login::dev::DevProvider::new("http://localhost:8000")
        .unwrap()
        .client();
    let _app: axum_oauth_login::GuardedApp = Auth.install(Router::new(), client);
}
