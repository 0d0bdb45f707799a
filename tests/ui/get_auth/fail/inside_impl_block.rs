use axum::response::Redirect;
use axum_oauth_login::{UserInfo, get_auth, oauth};

#[oauth(provider = "dev")]
struct Auth;

impl Auth {
    #[get_auth]
    fn get_auth(info: &UserInfo) -> Option<Redirect> {
        info.email_verified.then(|| Redirect::to("/"))
    }
}

fn main() {}
