//! Whole-app logins against fake providers that answer as the real ones document: the app's
//! login link, the provider's redirect back, the token request (PKCE, secret placement), the
//! user API, and the quirks (GitHub's integer id, errors with HTTP 200, `/user/emails`;
//! Discord's `id` and `verified`, HTTP Basic).

mod common;

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use axum_oauth_login::prelude::*;
use axum_oauth_login::{Client, DiscordAppClient, GitHubAppClient};
use base64::Engine as _;
use common::{Browser, serve};
use reqwest::StatusCode;
use sha2::Digest as _;

/// What the fake saw: the PKCE challenge of the authorization request and the token request.
#[derive(Default)]
struct Seen {
    challenge: Option<String>,
    token_form: Vec<(String, String)>,
    basic_auth: Option<String>,
}

type Fake = Arc<Mutex<Seen>>;

async fn token(
    State(seen): State<Fake>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> impl IntoResponse {
    let mut seen = seen.lock().unwrap();
    seen.basic_auth = headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned());
    seen.token_form = form.clone();
    let get = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let verifier = get("code_verifier").unwrap_or_default();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    if get("code").as_deref() != Some("good-code") || seen.challenge.as_deref() != Some(&challenge)
    {
        // GitHub's documented behaviour: an error with HTTP 200.
        return Json(
            serde_json::json!({"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}),
        );
    }
    Json(
        serde_json::json!({"access_token": "gho_fake", "token_type": "bearer", "scope": "read:user,user:email"}),
    )
}

fn bearer_ok(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer gho_fake")
        || headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer discord_fake")
}

async fn fake_github() -> (common::Server, Fake) {
    let seen = Fake::default();
    let s = seen.clone();
    let server = serve(|_| async move {
        Router::new()
            .route("/login/oauth/access_token", post(token))
            .route(
                "/api/v3/user",
                get(|headers: HeaderMap| async move {
                    if !bearer_ok(&headers) {
                        return (StatusCode::UNAUTHORIZED, Json(serde_json::json!({"message": "Bad credentials"})));
                    }
                    (StatusCode::OK, Json(serde_json::json!({"login": "octocat", "id": 583231, "name": "The Octocat", "email": null})))
                }),
            )
            .route(
                "/api/v3/user/emails",
                get(|| async {
                    Json(serde_json::json!([
                        {"email": "octocat@github.com", "primary": true, "verified": true, "visibility": "public"},
                        {"email": "other@example.com", "primary": false, "verified": false, "visibility": null}
                    ]))
                }),
            )
            .with_state(s)
    })
    .await;
    (server, seen)
}

async fn fake_discord() -> (common::Server, Fake) {
    let seen = Fake::default();
    let s = seen.clone();
    let server = serve(|_| async move {
        Router::new()
            .route(
                "/api/oauth2/token",
                post(|State(seen): State<Fake>, headers: HeaderMap, Form(form): Form<Vec<(String, String)>>| async move {
                    let mut seen = seen.lock().unwrap();
                    seen.basic_auth = headers.get("authorization").map(|v| v.to_str().unwrap().to_owned());
                    seen.token_form = form;
                    Json(serde_json::json!({"access_token": "discord_fake", "token_type": "Bearer", "expires_in": 604800, "refresh_token": "r", "scope": "identify email"}))
                }),
            )
            .route(
                "/api/users/@me",
                get(|headers: HeaderMap| async move {
                    assert!(bearer_ok(&headers));
                    Json(serde_json::json!({"id": "80351110224678912", "username": "nelly", "global_name": "Nelly", "email": "nelly@discord.com", "verified": true, "avatar": null}))
                }),
            )
            .with_state(s)
    })
    .await;
    (server, seen)
}

#[oauth(provider = "github")]
struct GitHubAuth;

#[get_auth(GitHubAuth)]
async fn github_get_auth(info: &UserInfo, ident: &str, session: &Session) -> Option<Redirect> {
    assert_eq!(ident, format!("github:{}", info.ident));
    session
        .insert(
            "who",
            format!(
                "{ident} {} {:?} {}",
                info.username.as_deref()?,
                info.email,
                info.email_verified
            ),
        )
        .await
        .ok()?;
    Some(Redirect::to("/"))
}

#[oauth(provider = "discord")]
struct DiscordAuth;

#[get_auth(DiscordAuth)]
async fn discord_get_auth(info: &UserInfo, session: &Session) -> Option<Redirect> {
    session
        .insert(
            "who",
            format!("{} {:?} {}", info.ident, info.email, info.email_verified),
        )
        .await
        .ok()?;
    Some(Redirect::to("/"))
}

fn app_routes() -> Router {
    Router::new()
        .route("/", get(common::who))
        .route(
            "/login",
            get(|login: Login| async move {
                Html(format!(
                    r#"<a href="{}">x</a>"#,
                    html_escape::encode_double_quoted_attribute(&login.link().await.unwrap())
                ))
            }),
        )
        .route("/error", get(|| async { "error page" }))
}

/// Logs in: takes the authorization URL from the login page, plays the provider's redirect
/// back with `code`, and returns the app's answer to that callback.
async fn login_via_fake(b: &Browser, app: &str, seen: &Fake, code: &str) -> common::Page {
    let page = b.get(&format!("{app}/login")).await;
    let link = common::first_href(&page.body).unwrap();
    let q = common::query(&link);
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["redirect_uri"], format!("{app}/redirect"));
    seen.lock().unwrap().challenge = Some(q["code_challenge"].clone());
    b.get(&format!("{app}/redirect?code={code}&state={}", q["state"]))
        .await
}

fn form_value(seen: &Fake, key: &str) -> Option<String> {
    seen.lock()
        .unwrap()
        .token_form
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

#[tokio::test]
async fn github_login_with_integer_id_and_verified_email() {
    let (github, seen) = fake_github().await;
    let client = GitHubAppClient::new("gh-id", "gh-secret")
        .with_endpoints(&github.base)
        .unwrap();
    let app = serve(|base| async move {
        GitHubAuth
            .builder(client)
            .public_url(base.parse().unwrap())
            .install(app_routes())
    })
    .await;
    let b = Browser::new();
    let done = login_via_fake(&b, &app.base, &seen, "good-code").await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    assert_eq!(
        b.get(&format!("{}/", app.base)).await.body,
        r#"github:583231 octocat Some("octocat@github.com") true"#
    );
    // GitHub wants the secret in the body, and the exact redirect URI.
    assert_eq!(
        form_value(&seen, "client_secret").as_deref(),
        Some("gh-secret")
    );
    assert_eq!(
        form_value(&seen, "redirect_uri"),
        Some(format!("{}/redirect", app.base))
    );
    assert!(seen.lock().unwrap().basic_auth.is_none());
}

#[tokio::test]
async fn github_error_with_http_200_lands_on_the_error_page() {
    let (github, seen) = fake_github().await;
    let client = GitHubAppClient::new("gh-id", "gh-secret")
        .with_endpoints(&github.base)
        .unwrap();
    let app = serve(|base| async move {
        GitHubAuth
            .builder(client)
            .public_url(base.parse().unwrap())
            .install(app_routes())
    })
    .await;
    let b = Browser::new();
    let done = login_via_fake(&b, &app.base, &seen, "stale-code").await;
    assert_eq!(done.location.as_deref(), Some("/error?code=token_exchange"));
    assert_eq!(
        b.get(&format!("{}/", app.base)).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn discord_login_uses_basic_auth_and_its_verified_flag() {
    let (discord, seen) = fake_discord().await;
    let client: Client = DiscordAppClient::new("dc-id", "dc-secret")
        .with_endpoints(&discord.base)
        .unwrap()
        .into();
    let app = serve(|base| async move {
        DiscordAuth
            .builder(client)
            .public_url(base.parse().unwrap())
            .install(app_routes())
    })
    .await;
    let b = Browser::new();
    seen.lock().unwrap().challenge = None;
    let done = login_via_fake(&b, &app.base, &seen, "any").await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    assert_eq!(
        b.get(&format!("{}/", app.base)).await.body,
        r#"80351110224678912 Some("nelly@discord.com") true"#
    );
    let basic = seen.lock().unwrap().basic_auth.clone().expect("HTTP Basic");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(basic.trim_start_matches("Basic "))
        .unwrap();
    assert_eq!(decoded, b"dc-id:dc-secret");
    assert!(form_value(&seen, "client_secret").is_none());
    assert!(form_value(&seen, "code_verifier").is_some_and(|v| v.len() >= 43));
}

#[oauth(provider = "github")]
struct RenamedAuth;

#[get_auth(RenamedAuth)]
async fn renamed_get_auth(info: &UserInfo, ident: &str, session: &Session) -> Option<Redirect> {
    let who = format!("{ident} {:?} {}", info.email, info.email_verified);
    session.insert("who", who).await.ok()?;
    Some(Redirect::to("/"))
}

/// The quirks belong to the provider, not to its name: a GitHub client renamed (as an app with
/// two GitHub apps does) still reads GitHub's comma-separated scopes and verifies the email
/// through `/user/emails`.
#[tokio::test]
async fn a_renamed_github_client_keeps_githubs_quirks() {
    let (github, seen) = fake_github().await;
    let client = GitHubAppClient::new("gh-id", "gh-secret")
        .with_endpoints(&github.base)
        .unwrap()
        .with_provider(|p| p.name = "github-enterprise");
    let app = serve(|base| async move {
        RenamedAuth
            .builder(client)
            .public_url(base.parse().unwrap())
            .install(app_routes().route("/scopes", get(common::granted_scopes)))
    })
    .await;
    let b = Browser::new();
    let done = login_via_fake(&b, &app.base, &seen, "good-code").await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    assert_eq!(
        b.get(&format!("{}/", app.base)).await.body,
        r#"github-enterprise:583231 Some("octocat@github.com") true"#
    );
    assert_eq!(
        b.get(&format!("{}/scopes", app.base)).await.body,
        "read:user user:email"
    );
}
