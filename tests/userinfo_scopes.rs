//! `oidcc-client-test-scope-userinfo-claims`: the user info the app gets holds the claims of the
//! scopes it asked for, and only those (the development provider releases `email` with the scope
//! `email` and the names with `profile`, as OpenID Connect Core 5.4 describes).

mod common;

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use axum_oauth_login::prelude::*;
use common::{Browser, login_page};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
async fn get_auth(info: &UserInfo, session: &Session) -> Option<Redirect> {
    let who = format!("email={:?} name={:?}", info.email, info.name);
    session.insert("who", who).await.ok()?;
    Some(Redirect::to("/"))
}

/// Logs in as `ada` with a client asking for `scopes`, and returns what `get_auth` saw.
async fn seen_with(scopes: &[&str]) -> String {
    let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
    let (server, _dev) = common::serve_dev(|dev, base| {
        Auth.builder(dev.client().with_scopes(scopes))
            .public_url(base.parse().unwrap())
            .install(
                Router::new()
                    .route("/", get(common::who))
                    .route("/login", get(login_page)),
            )
    })
    .await;
    let b = Browser::new();
    let done = b.dev_login(&server.base, "ada").await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    b.get(&format!("{}/", server.base)).await.body
}

#[tokio::test]
async fn userinfo_claims_follow_the_scopes_asked() {
    let email_only = seen_with(&["openid", "email"]).await;
    assert!(email_only.starts_with("email=Some("), "{email_only}");
    assert!(email_only.ends_with("name=None"), "{email_only}");

    let profile_only = seen_with(&["openid", "profile"]).await;
    assert!(profile_only.starts_with("email=None"), "{profile_only}");
    assert!(!profile_only.ends_with("name=None"), "{profile_only}");

    let both = seen_with(&["openid", "email", "profile"]).await;
    assert!(both.starts_with("email=Some("), "{both}");
    assert!(!both.ends_with("name=None"), "{both}");
}
