use axum::response::Redirect;
use oauth_runtime::{UserInfo, get_auth, hooks::GetAuth, oauth};

mod auth {
    #[oauth_runtime::oauth(provider = "oidc")]
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
