use axum::response::{Html, IntoResponse};
use axum_oauth_login::{Session, hooks::Logout, logout, oauth};

#[oauth(provider = "dev")]
struct Auth {
    goodbye: &'static str,
}

#[logout]
async fn logout(auth: Option<&str>, oauth: &Auth, session: &Session) -> impl IntoResponse {
    session.insert("logged_out", true).await.ok();
    Html(format!("{} {}", oauth.goodbye, auth.unwrap_or("stranger")))
}

mod owned {
    use axum_oauth_login::Session;

    #[axum_oauth_login::oauth(provider = "dev")]
    pub struct Auth;

    #[axum_oauth_login::logout]
    fn logout(session: Session, auth: Option<String>) -> String {
        let _ = session;
        auth.unwrap_or_default()
    }
}

fn assert_logout<T: Logout>() {}

fn main() {
    assert_logout::<Auth>();
    assert_logout::<owned::Auth>();
    let _ = (Auth { goodbye: "bye" }.goodbye, owned::Auth);
}
