use axum::response::Redirect;
use axum_oauth_login::{Session, UserInfo, get_auth, hooks::GetAuth, oauth};

#[oauth(provider = "github")]
struct Auth {
    admins: Vec<String>,
}

#[get_auth]
async fn get_auth(
    oauth: &Auth,
    info: &UserInfo,
    ident: &str,
    session: &Session,
    state: Option<&str>,
) -> Option<Redirect> {
    session.insert("email", info.email.clone()).await.ok()?;
    let admin = oauth.admins.iter().any(|a| a == ident);
    Some(Redirect::to(if admin {
        "/admin"
    } else {
        state.unwrap_or("/")
    }))
}

fn assert_get_auth<T: GetAuth>() {}

fn main() {
    assert_get_auth::<Auth>();
    let _ = Auth { admins: Vec::new() };
}
