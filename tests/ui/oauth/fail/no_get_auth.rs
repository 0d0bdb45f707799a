use axum::Router;
use oauth_runtime::{OAuth, oauth};

#[oauth(provider = "dev")]
struct Auth;

fn main() {
    let client = oauth_runtime::dev::DevProvider::new("http://localhost:8000")
        .unwrap()
        .client();
    let _app: Router = Auth.install(Router::new(), client);
}
