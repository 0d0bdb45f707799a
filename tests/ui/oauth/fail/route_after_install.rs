use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use axum_oauth_login::{OAuth, UserInfo, get_auth, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

fn main() {
    let client = axum_oauth_login::dev::DevProvider::new("http://localhost:8000")
        .unwrap()
        .client();
    let routes = Router::new().route("/", get(|| async { "home" }));
    // Would be served without the guard: refused at compile time.
    let _app = Auth
        .install(routes, client)
        .route("/admin", get(|| async { "secret" }));
}
