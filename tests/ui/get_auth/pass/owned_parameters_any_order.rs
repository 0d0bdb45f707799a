use axum::response::Redirect;
use axum_oauth_login::{Session, UserInfo, get_auth, hooks::GetAuth, oauth};

#[oauth(provider = "discord")]
struct Auth;

#[get_auth]
fn decide(
    state: Option<String>,
    session: Session,
    ident: String,
    info: UserInfo,
) -> Option<Redirect> {
    let _ = (session, ident, info);
    state.map(|s| Redirect::to(&s))
}

fn assert_get_auth<T: GetAuth>() {}

fn main() {
    assert_get_auth::<Auth>();
    let _ = Auth;
}
