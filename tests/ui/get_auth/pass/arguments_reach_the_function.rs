//! Runs the generated adapter: each parameter gets the context's value.
use std::sync::Arc;

use axum::response::Redirect;
use axum_oauth_login::hooks::{AuthContext, Decision, GetAuth};
use axum_oauth_login::{Session, UserInfo, get_auth, oauth};
use tower_sessions::MemoryStore;

#[oauth(provider = "dev")]
struct Auth {
    allowed: &'static str,
}

#[get_auth]
async fn get_auth(
    state: Option<&str>,
    info: UserInfo,
    oauth: &Auth,
    ident: String,
    session: &Session,
) -> Option<Redirect> {
    assert_eq!(info.ident, ident);
    assert_eq!(state, Some("/next"));
    session.insert("seen", true).await.unwrap();
    (ident == oauth.allowed).then(|| Redirect::to(state.unwrap()))
}

fn context(ident: &str) -> AuthContext {
    let info = UserInfo::from_claims("sub", serde_json::json!({ "sub": ident })).unwrap();
    AuthContext {
        ident: info.ident.clone(),
        info,
        session: Session::new(None, Arc::new(MemoryStore::default()), None),
        state: Some("/next".to_owned()),
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let auth = Auth { allowed: "ada" };
        let cx = context("ada");
        let Decision::Allow(response) = auth.get_auth(&cx).await else {
            panic!("ada is allowed");
        };
        assert_eq!(response.headers()["location"], "/next");
        assert_eq!(cx.session.get::<bool>("seen").await.unwrap(), Some(true));
        assert!(matches!(
            auth.get_auth(&context("eve")).await,
            Decision::Deny
        ));
    });
}
