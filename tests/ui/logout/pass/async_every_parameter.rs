use axum::response::{Html, IntoResponse};
use oauth_runtime::{Session, hooks::Logout, logout, oauth};

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
    use oauth_runtime::Session;

    #[oauth_runtime::oauth(provider = "dev")]
    pub struct Auth;

    #[oauth_runtime::logout]
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
