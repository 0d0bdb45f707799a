use axum::response::Redirect;
use axum_oauth_login::{get_auth, oauth};

#[oauth(provider = "dev")]
struct Auth;

async fn audit(_: &str) {}

#[get_auth]
async fn get_auth(ident: &str) -> Option<Redirect> {
    let counter = std::rc::Rc::new(1);
    audit(ident).await;
    let _ = counter;
    None
}

fn main() {}
