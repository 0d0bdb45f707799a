use axum::response::Redirect;
use axum_oauth_login::{UserInfo, get_auth, hooks::GetAuth, oauth};

mod auth {
    #[axum_oauth_login::oauth(provider = "oidc")]
    pub struct Company;
}

#[oauth(provider = "github")]
struct Community;

#[get_auth(auth::Company)]
fn company(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

#[get_auth(Community)]
fn community() -> Option<Redirect> {
    Some(Redirect::to("/"))
}

fn assert_get_auth<T: GetAuth>() {}

fn main() {
    assert_get_auth::<auth::Company>();
    assert_get_auth::<Community>();
    let _ = (auth::Company, Community);
}
