use axum::response::Redirect;
use axum_oauth_login::{UserInfo, get_auth, logout, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

trait Hooks {
    #[logout]
    fn logout() -> Redirect {
        Redirect::to("/goodbye")
    }
}

fn main() {}
