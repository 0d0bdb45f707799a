//! Each provider against a fake of itself on 127.0.0.1, answering as the provider's docs say.
//! Only loopback traffic.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use p256::ecdsa::{Signature, SigningKey, signature::Signer as _};
use serde_json::{Value, json};

use super::*;
use crate::http::HttpClient;
use crate::{Client, Error, Tokens};

pub(super) const ID: &str = "the-client-id";
pub(super) const SECRET: &str = "the-client-secret";
pub(super) const REDIRECT: &str = "http://localhost:8000/redirect?x=1";
pub(super) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub(super) const NONCE: &str = "the-nonce";

// ---------------------------------------------------------------------------------------------
// The fake server

/// A request the fake received.
#[derive(Clone, Debug)]
pub(super) struct Seen {
    pub(super) path: String,
    pub(super) headers: HeaderMap,
    pub(super) form: HashMap<String, String>,
}

#[derive(Default)]
pub(super) struct Fake {
    pub(super) seen: Mutex<Vec<Seen>>,
    /// The JWKS served (a key set can be rotated by a test).
    pub(super) keys: Mutex<Vec<Value>>,
    pub(super) jwks_hits: AtomicUsize,
    /// The JWKS endpoint answers 500 while this is set.
    pub(super) jwks_down: AtomicBool,
    /// The ID token the token endpoint returns next.
    pub(super) id_token: Mutex<Option<String>>,
}

impl Fake {
    pub(super) fn requests_to(&self, path: &str) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }

    pub(super) fn set_id_token(&self, token: String) {
        *self.id_token.lock().unwrap() = Some(token);
    }
}

/// Records every request (path, headers, form body) before the route answers.
pub(super) async fn record(
    State(fake): State<Arc<Fake>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let form = url::form_urlencoded::parse(&bytes).into_owned().collect();
    fake.seen.lock().unwrap().push(Seen {
        path: parts.uri.path().to_owned(),
        headers: parts.headers.clone(),
        form,
    });
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Starts a fake on 127.0.0.1 with the routes `build` makes (given the base URL).
pub(super) async fn start(build: impl FnOnce(String, Arc<Fake>) -> Router) -> (String, Arc<Fake>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let fake = Arc::new(Fake::default());
    let router = build(base.clone(), fake.clone()).layer(from_fn_with_state(fake.clone(), record));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (base, fake)
}

pub(super) fn jwks_route(fake: &Arc<Fake>) -> axum::routing::MethodRouter {
    let fake = fake.clone();
    get(move || async move {
        fake.jwks_hits.fetch_add(1, Ordering::SeqCst);
        if fake.jwks_down.load(Ordering::SeqCst) {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        Json(json!({ "keys": fake.keys.lock().unwrap().clone() })).into_response()
    })
}

pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

pub(super) fn basic(seen: &Seen) -> Option<String> {
    let value = seen
        .headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    String::from_utf8(STANDARD.decode(value).ok()?).ok()
}

pub(super) fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

pub(super) fn oauth_error(status: StatusCode, code: &str) -> Response {
    (
        status,
        Json(json!({ "error": code, "error_description": "SECRET-DESCRIPTION" })),
    )
        .into_response()
}

/// The checks every token request must pass, whatever the provider.
pub(super) fn assert_token_request(seen: &Seen) {
    assert_eq!(seen.form["grant_type"], "authorization_code");
    assert_eq!(seen.form["code"], "good-code");
    assert_eq!(seen.form["code_verifier"], VERIFIER);
    assert_eq!(
        seen.form["redirect_uri"], REDIRECT,
        "the exact redirect URI of the authorization request"
    );
    assert!(
        seen.headers[header::ACCEPT]
            .to_str()
            .unwrap()
            .contains("application/json")
    );
    assert!(
        seen.headers[header::USER_AGENT]
            .to_str()
            .unwrap()
            .starts_with("axum-oauth-login/")
    );
}

pub(super) fn assert_secret_in_body(seen: &Seen) {
    assert_eq!(seen.form["client_id"], ID);
    assert_eq!(seen.form["client_secret"], SECRET);
    assert!(seen.headers.get(header::AUTHORIZATION).is_none());
}

pub(super) fn assert_secret_in_basic(seen: &Seen) {
    assert_eq!(basic(seen).as_deref(), Some(&*format!("{ID}:{SECRET}")));
    assert!(!seen.form.contains_key("client_secret"));
}

// ---------------------------------------------------------------------------------------------
// ID token signing

pub(super) struct Key {
    pub(super) signing: SigningKey,
    pub(super) kid: String,
}

impl Key {
    /// A fresh P-256 key.
    pub(super) fn new(kid: &str) -> Self {
        loop {
            if let Ok(signing) = SigningKey::from_slice(&rand::random::<[u8; 32]>()) {
                return Self {
                    signing,
                    kid: kid.to_owned(),
                };
            }
        }
    }

    pub(super) fn jwk(&self) -> Value {
        let mut jwk =
            serde_json::to_value(p256::PublicKey::from(self.signing.verifying_key()).to_jwk())
                .unwrap();
        jwk["kid"] = json!(self.kid);
        jwk["alg"] = json!("ES256");
        jwk["use"] = json!("sig");
        jwk
    }

    pub(super) fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(
            &json!({ "alg": "ES256", "typ": "JWT", "kid": self.kid }),
            claims,
        )
    }

    pub(super) fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        let message = format!("{}.{}", b64(header), b64(claims));
        let signature: Signature = self.signing.sign(message.as_bytes());
        format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }
}

pub(super) fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

pub(super) fn claims(issuer: &str, sub: &str) -> Value {
    json!({
        "iss": issuer, "aud": ID, "sub": sub, "nonce": NONCE, "iat": now(), "exp": now() + 300,
        "email": "ada@example.com", "email_verified": true, "name": "Ada",
    })
}

// ---------------------------------------------------------------------------------------------
// Google

/// Google's token endpoint (code and refresh grants), OpenID user info, JWKS and revocation.
fn google_routes(base: String, fake: Arc<Fake>, key: Arc<Key>) -> Router {
    let token = {
        let (fake, key) = (fake.clone(), key.clone());
        post(
            move |axum::Form(form): axum::Form<HashMap<String, String>>| async move {
                match (form["grant_type"].as_str(), form.get("code"), form.get("refresh_token")) {
                ("authorization_code", Some(code), _) if code == "good-code" => {
                    let id_token = fake.id_token.lock().unwrap().clone();
                    let id_token = id_token.unwrap_or_else(|| key.sign(&claims(&base, "108204268033311")));
                    Json(json!({
                        "access_token": "ya29.access", "expires_in": 3599, "refresh_token": "1//refresh",
                        "scope": "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile",
                        "token_type": "Bearer", "id_token": id_token,
                    }))
                    .into_response()
                }
                ("refresh_token", _, Some(rt)) if rt == "1//refresh" => {
                    Json(json!({ "access_token": "ya29.fresh", "expires_in": 3599, "token_type": "Bearer",
                        "scope": "openid" }))
                    .into_response()
                }
                _ => oauth_error(StatusCode::BAD_REQUEST, "invalid_grant"),
            }
            },
        )
    };
    let userinfo = get(|headers: HeaderMap| async move {
        if bearer(&headers) != Some("ya29.access") {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        Json(json!({
            "sub": "108204268033311", "name": "Ada Lovelace", "given_name": "Ada", "picture": "https://lh3.example/a.png",
            "email": "ada@example.com", "email_verified": true, "hd": "example.com",
        }))
        .into_response()
    });
    let revoke = post(
        |axum::Form(form): axum::Form<HashMap<String, String>>| async move {
            if form.get("token").is_some_and(|t| t == "1//refresh") {
                StatusCode::OK
            } else {
                StatusCode::BAD_REQUEST
            }
        },
    );
    Router::new()
        .route("/token", token)
        .route("/v1/userinfo", userinfo)
        .route("/oauth2/v3/certs", jwks_route(&fake))
        .route("/revoke", revoke)
}

async fn google() -> (Client, Arc<Fake>, Arc<Key>, String) {
    let key = Arc::new(Key::new("google-1"));
    let (base, fake) = start({
        let key = key.clone();
        move |base, fake| google_routes(base, fake, key)
    })
    .await;
    fake.keys.lock().unwrap().push(key.jwk());
    let client = GoogleAppClient::new(ID, SECRET)
        .with_endpoints(&base)
        .unwrap()
        .into();
    (client, fake, key, base)
}

#[tokio::test]
async fn google_exchange_verifies_the_id_token_and_reads_user_info() {
    let (client, fake, _, _) = google().await;
    let (info, tokens) = client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .unwrap();
    assert_eq!(info.ident, "108204268033311");
    assert_eq!(info.email.as_deref(), Some("ada@example.com"));
    assert!(info.email_verified);
    assert_eq!(info.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(info.raw["hd"], "example.com");
    assert_eq!(tokens.access_token(), "ya29.access");
    assert_eq!(tokens.refresh_token(), Some("1//refresh"));
    assert!(tokens.id_token().is_some());
    let expires_at = tokens.expires_at().unwrap();
    assert!((now() + 3590..=now() + 3600).contains(&expires_at));
    assert_eq!(tokens.scopes().len(), 3);

    let token_requests = fake.requests_to("/token");
    assert_eq!(token_requests.len(), 1);
    assert_token_request(&token_requests[0]);
    assert_secret_in_body(&token_requests[0]);
    assert_eq!(fake.jwks_hits.load(Ordering::SeqCst), 1);

    // The keys are cached: a second login fetches none.
    client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .unwrap();
    assert_eq!(fake.jwks_hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn google_refused_code_is_a_token_exchange_error_without_the_body() {
    let (client, _, _, _) = google().await;
    let error = client
        .exchange_code("stale-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::TokenExchange(code) if code == "invalid_grant"),
        "{error:?}"
    );
    assert!(!error.to_string().contains("SECRET-DESCRIPTION"));
    assert!(!error.to_string().contains("stale-code"));
}

#[tokio::test]
async fn userinfo_for_another_user_than_the_id_token_is_refused() {
    let (client, fake, key, base) = google().await;
    fake.set_id_token(key.sign(&claims(&base, "someone-else")));
    let error = client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::UserInfo(_)), "{error:?}");
}

#[tokio::test]
async fn google_refresh_keeps_the_refresh_token_and_maps_invalid_grant() {
    let (client, _, _, _) = google().await;
    let old = Tokens::new("ya29.old")
        .with_refresh_token(Some("1//refresh".into()))
        .with_id_token(Some("old.id.token".into()))
        .with_scopes(vec!["openid".into(), "email".into()]);
    let fresh = client.refresh(&old).await.unwrap();
    assert_eq!(fresh.access_token(), "ya29.fresh");
    assert_eq!(
        fresh.refresh_token(),
        Some("1//refresh"),
        "kept: no new refresh token was sent"
    );
    assert_eq!(fresh.id_token(), Some("old.id.token"));
    assert_eq!(fresh.scopes(), ["openid"]);
    assert!(fresh.expires_at().is_some());

    let revoked = Tokens::new("ya29.old").with_refresh_token(Some("revoked".into()));
    assert!(matches!(
        client.refresh(&revoked).await,
        Err(Error::InvalidGrant)
    ));
    assert!(matches!(
        client.refresh(&Tokens::new("a")).await,
        Err(Error::Unsupported("refresh"))
    ));
}

#[tokio::test]
async fn google_revocation_sends_the_token_without_client_credentials() {
    let (client, fake, _, _) = google().await;
    let tokens = Tokens::new("ya29.access").with_refresh_token(Some("1//refresh".into()));
    client.revoke(&tokens).await.unwrap();
    let seen = &fake.requests_to("/revoke")[0];
    assert_eq!(seen.form["token"], "1//refresh");
    assert_eq!(seen.form["token_type_hint"], "refresh_token");
    assert!(seen.headers.get(header::AUTHORIZATION).is_none());
    assert!(!seen.form.contains_key("client_secret"));
    // An unknown token: Google answers 400 without a body the client understands.
    let error = client.revoke(&Tokens::new("unknown")).await.unwrap_err();
    assert!(matches!(error, Error::TokenExchange(_)), "{error:?}");
}

// ---------------------------------------------------------------------------------------------
// GitHub

/// `emails`: whether `/user/emails` answers (it needs the `user:email` scope).
fn github_routes(emails: bool) -> Router {
    let token = post(
        |axum::Form(form): axum::Form<HashMap<String, String>>| async move {
            if form.get("code").is_some_and(|c| c == "good-code") {
                Json(
                    json!({ "access_token": "gho_16C7e42F292c6912E7710c838347Ae178B4a", "scope": "read:user,user:email",
                "token_type": "bearer" }),
                )
            } else {
                // GitHub's documented quirk: errors come with HTTP 200.
                Json(
                    json!({ "error": "bad_verification_code", "error_description": "SECRET-DESCRIPTION",
                "error_uri": "https://docs.github.com/apps/troubleshooting" }),
                )
            }
        },
    );
    let user = get(|headers: HeaderMap| async move {
        if bearer(&headers) != Some("gho_16C7e42F292c6912E7710c838347Ae178B4a") {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        Json(json!({ "login": "octocat", "id": 583_231, "node_id": "MDQ6VXNlcjE=", "name": "The Octocat",
            "email": null, "avatar_url": "https://github.com/images/error/octocat_happy.gif", "type": "User" }))
        .into_response()
    });
    let emails = get(move || async move {
        if !emails {
            return StatusCode::NOT_FOUND.into_response();
        }
        Json(json!([
            { "email": "octocat@old.example", "primary": false, "verified": false, "visibility": null },
            { "email": "octocat@github.com", "primary": true, "verified": true, "visibility": "public" },
        ]))
        .into_response()
    });
    Router::new()
        .route("/login/oauth/access_token", token)
        .route("/api/v3/user", user)
        .route("/api/v3/user/emails", emails)
}

async fn github() -> (Client, Arc<Fake>) {
    let (base, fake) = start(|_, _| github_routes(true)).await;
    (
        GitHubAppClient::new(ID, SECRET)
            .with_endpoints(&base)
            .unwrap()
            .into(),
        fake,
    )
}

#[tokio::test]
async fn github_exchange_reads_the_integer_id_and_the_verified_primary_email() {
    let (client, fake) = github().await;
    let (info, tokens) = client
        .exchange_code("good-code", REDIRECT, VERIFIER, None, None)
        .await
        .unwrap();
    assert_eq!(info.ident, "583231");
    assert_eq!(info.username.as_deref(), Some("octocat"));
    assert_eq!(info.email.as_deref(), Some("octocat@github.com"));
    assert!(info.email_verified);
    assert_eq!(
        info.picture.as_deref(),
        Some("https://github.com/images/error/octocat_happy.gif")
    );
    assert_eq!(tokens.scopes(), ["read:user", "user:email"]);
    assert_eq!(tokens.refresh_token(), None);
    assert_eq!(tokens.expires_at(), None);

    let token_request = &fake.requests_to("/login/oauth/access_token")[0];
    assert_token_request(token_request);
    assert_secret_in_body(token_request);
    let user_request = &fake.requests_to("/api/v3/user")[0];
    assert!(
        user_request.headers[header::USER_AGENT]
            .to_str()
            .unwrap()
            .starts_with("axum-oauth-login/")
    );
}

#[tokio::test]
async fn github_error_with_http_200_is_a_token_exchange_error() {
    let (client, fake) = github().await;
    let error = client
        .exchange_code("expired", REDIRECT, VERIFIER, None, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::TokenExchange(code) if code == "bad_verification_code"),
        "{error:?}"
    );
    assert!(!error.to_string().contains("SECRET-DESCRIPTION"));
    assert!(fake.requests_to("/api/v3/user").is_empty());
}

#[tokio::test]
async fn github_has_no_revocation_and_no_refresh_without_a_refresh_token() {
    let (client, _) = github().await;
    assert!(matches!(
        client.revoke(&Tokens::new("t")).await,
        Err(Error::Unsupported("revocation"))
    ));
    assert!(matches!(
        client.refresh(&Tokens::new("t")).await,
        Err(Error::Unsupported("refresh"))
    ));
}

#[tokio::test]
async fn github_email_stays_unverified_without_the_email_list() {
    let (base, _) = start(|_, _| github_routes(false)).await;
    let client = GitHubAppClient::new(ID, SECRET)
        .with_endpoints(&base)
        .unwrap();
    let (info, _) = client
        .exchange_code("good-code", REDIRECT, VERIFIER, None, None)
        .await
        .unwrap();
    assert_eq!(info.email, None);
    assert!(!info.email_verified);
}

// ---------------------------------------------------------------------------------------------
// Hugging Face

#[tokio::test]
async fn huggingface_exchange_uses_basic_auth_and_verifies_the_id_token() {
    let key = Arc::new(Key::new("hf-2024"));
    let (base, fake) = start({
        let key = key.clone();
        move |base, fake| {
            let token = post(move || async move {
                Json(json!({ "access_token": "hf_oauth_access", "token_type": "bearer", "expires_in": 28800,
                    "scope": "openid profile", "id_token": key.sign(&claims(&base, "62f1b8a1e3b5c8a3d1e4f5a6")) }))
            });
            let userinfo = get(|headers: HeaderMap| async move {
                if bearer(&headers) != Some("hf_oauth_access") {
                    return StatusCode::UNAUTHORIZED.into_response();
                }
                Json(json!({ "sub": "62f1b8a1e3b5c8a3d1e4f5a6", "name": "Ada Lovelace", "preferred_username": "ada",
                    "profile": "https://huggingface.co/ada", "picture": "https://cdn-avatars.huggingface.co/ada.png",
                    "email": "ada@example.com", "email_verified": true, "isPro": false }))
                .into_response()
            });
            Router::new()
                .route("/oauth/token", token)
                .route("/oauth/userinfo", userinfo)
                .route("/oauth/jwks", jwks_route(&fake))
        }
    })
    .await;
    fake.keys.lock().unwrap().push(key.jwk());
    let client = HuggingFaceClient::new(ID, SECRET)
        .with_endpoints(&base)
        .unwrap();
    let (info, tokens) = client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .unwrap();
    assert_eq!(info.ident, "62f1b8a1e3b5c8a3d1e4f5a6");
    assert_eq!(info.username.as_deref(), Some("ada"));
    assert!(info.email_verified);
    assert_eq!(tokens.access_token(), "hf_oauth_access");
    let token_request = &fake.requests_to("/oauth/token")[0];
    assert_token_request(token_request);
    assert_secret_in_basic(token_request);
}

// ---------------------------------------------------------------------------------------------
// Discord

fn discord_routes(verified: bool) -> Router {
    let token = post(|| async {
        Json(
            json!({ "access_token": "6qrZcUqja7812RVdnEKjpzOL4CvHBFG", "token_type": "Bearer", "expires_in": 604_800,
            "refresh_token": "D43f5y0ahjqew82jZ4NViEr2YafMKhue", "scope": "identify email" }),
        )
    });
    let me = get(move |headers: HeaderMap| async move {
        if bearer(&headers) != Some("6qrZcUqja7812RVdnEKjpzOL4CvHBFG") {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        Json(json!({ "id": "80351110224678912", "username": "nelly", "discriminator": "0", "global_name": "Nelly",
            "avatar": "8342729096ea3675442027381ff50dfe", "verified": verified, "email": "nelly@discord.com",
            "flags": 64, "mfa_enabled": true }))
        .into_response()
    });
    let revoke = post(|| async { StatusCode::OK });
    Router::new()
        .route("/api/oauth2/token", token)
        .route("/api/users/@me", me)
        .route("/api/oauth2/token/revoke", revoke)
}

#[tokio::test]
async fn discord_exchange_maps_verified_to_email_verified() {
    for verified in [true, false] {
        let (base, fake) = start(move |_, _| discord_routes(verified)).await;
        let client = DiscordAppClient::new(ID, SECRET)
            .with_endpoints(&base)
            .unwrap();
        let (info, tokens) = client
            .exchange_code("good-code", REDIRECT, VERIFIER, None, None)
            .await
            .unwrap();
        assert_eq!(info.ident, "80351110224678912");
        assert_eq!(info.username.as_deref(), Some("nelly"));
        assert_eq!(info.name.as_deref(), Some("Nelly"));
        assert_eq!(info.email.as_deref(), Some("nelly@discord.com"));
        assert_eq!(info.email_verified, verified);
        assert_eq!(
            tokens.refresh_token(),
            Some("D43f5y0ahjqew82jZ4NViEr2YafMKhue")
        );
        assert_eq!(tokens.scopes(), ["identify", "email"]);
        let token_request = &fake.requests_to("/api/oauth2/token")[0];
        assert_token_request(token_request);
        assert_secret_in_basic(token_request);
    }
}

#[tokio::test]
async fn discord_revocation_authenticates_the_client() {
    let (base, fake) = start(|_, _| discord_routes(true)).await;
    let client = DiscordAppClient::new(ID, SECRET)
        .with_endpoints(&base)
        .unwrap();
    client
        .revoke(&Tokens::new("6qrZcUqja7812RVdnEKjpzOL4CvHBFG"))
        .await
        .unwrap();
    let seen = &fake.requests_to("/api/oauth2/token/revoke")[0];
    assert_eq!(seen.form["token"], "6qrZcUqja7812RVdnEKjpzOL4CvHBFG");
    assert_eq!(seen.form["token_type_hint"], "access_token");
    assert_secret_in_basic(seen);
}

// ---------------------------------------------------------------------------------------------
// OpenID Connect: discovery and ID token verification

/// A discovery document, token endpoint (returning the ID token the test set), user info-less
/// provider (claims come from the ID token) and JWKS.
fn oidc_routes(base: String, fake: Arc<Fake>, document: Value) -> Router {
    let document = {
        let mut document = document;
        for (key, path) in [
            ("authorization_endpoint", "/auth"),
            ("token_endpoint", "/token"),
            ("jwks_uri", "/jwks"),
            ("revocation_endpoint", "/revoke"),
            ("end_session_endpoint", "/logout"),
        ] {
            document[key] = json!(format!("{base}{path}"));
        }
        if document.get("issuer").is_none() {
            document["issuer"] = json!(base);
        }
        document
    };
    let token = {
        let fake = fake.clone();
        post(move || async move {
            let id_token = fake.id_token.lock().unwrap().clone();
            Json(
                json!({ "access_token": "at", "token_type": "Bearer", "expires_in": 3600, "id_token": id_token }),
            )
        })
    };
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { Json(document) }),
        )
        .route("/token", token)
        .route("/jwks", jwks_route(&fake))
}

async fn oidc(document: Value) -> (String, Arc<Fake>) {
    start(move |base, fake| oidc_routes(base, fake, document)).await
}

#[tokio::test]
async fn discovery_reads_the_endpoints_and_options() {
    let (base, _) = oidc(json!({
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
        "authorization_response_iss_parameter_supported": true,
        "backchannel_logout_supported": true,
    }))
    .await;
    let client = OidcClient::discover(&base, ID, SECRET).await.unwrap();
    let config = client.provider();
    assert!(config.oidc.as_ref().unwrap().backchannel_logout);
    assert_eq!(config.name, "oidc");
    assert_eq!(config.token_url.as_str(), format!("{base}/token"));
    assert_eq!(
        config.revocation_url.as_ref().unwrap().as_str(),
        format!("{base}/revoke")
    );
    assert_eq!(
        config.end_session_url.as_ref().unwrap().as_str(),
        format!("{base}/logout")
    );
    assert_eq!(config.userinfo_url, None);
    assert_eq!(config.oidc.as_ref().unwrap().issuer, base);
    assert_eq!(config.auth_method, AuthMethod::Post);
    assert!(config.iss_parameter);
    assert_eq!(config.scopes, ["openid", "email", "profile"]);
    assert_eq!(client.id_key(), "sub");

    let (base, _) = oidc(json!({ "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"] })).await;
    let client = OidcClient::discover(&base, ID, SECRET).await.unwrap();
    assert_eq!(client.provider().auth_method, AuthMethod::Basic);
    assert!(!client.provider().iss_parameter);
    assert!(!client.provider().oidc.as_ref().unwrap().backchannel_logout);
}

#[tokio::test]
async fn discovery_refuses_a_document_of_another_issuer() {
    let (base, _) = oidc(json!({ "issuer": "https://evil.example" })).await;
    let error = OidcClient::discover(&base, ID, SECRET).await.unwrap_err();
    assert!(matches!(error, Error::Discovery(_)), "{error:?}");
    // A trailing slash is another issuer, too.
    let (base, _) = oidc(json!({})).await;
    let error = OidcClient::discover(&format!("{base}/"), ID, SECRET)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Discovery(_)), "{error:?}");
}

/// WebFinger (Discovery §2): the user's input becomes the `resource` and the host to ask.
#[test]
fn webfinger_input_is_normalised() {
    let query = |input: &str| {
        oidc::webfinger_query(input)
            .map(|(resource, endpoint)| (resource, endpoint.to_string()))
            .map_err(|e| e.code())
    };
    let at = |resource: &str, endpoint: &str| Ok((resource.to_owned(), endpoint.to_owned()));
    assert_eq!(
        query("joe@example.com"),
        at(
            "acct:joe@example.com",
            "https://example.com/.well-known/webfinger"
        )
    );
    assert_eq!(
        query("acct:juliet%40capulet.example@shopping.example.com"),
        at(
            "acct:juliet%40capulet.example@shopping.example.com",
            "https://shopping.example.com/.well-known/webfinger"
        )
    );
    assert_eq!(
        query("example.com:8080/joe#me"),
        at(
            "https://example.com:8080/joe",
            "https://example.com:8080/.well-known/webfinger"
        )
    );
    assert_eq!(
        query("https://example.com/joe"),
        at(
            "https://example.com/joe",
            "https://example.com/.well-known/webfinger"
        )
    );
    assert_eq!(
        query("joe@localhost:8080"),
        at(
            "acct:joe@localhost:8080",
            "http://localhost:8080/.well-known/webfinger"
        )
    );
    assert_eq!(query("joe@"), Err("config"));
    assert_eq!(query(""), Err("config"));
}

/// A WebFinger host answering `links` for the issuer `rel` (and logging the queries it got),
/// beside a discovery document whose issuer is `base`.
async fn webfinger(links: Value) -> (String, Arc<Mutex<Vec<String>>>) {
    let queries = Arc::new(Mutex::new(Vec::new()));
    let seen = queries.clone();
    let (base, _) = start(move |base, fake| {
        let links = if links.is_null() {
            json!([{ "rel": "http://openid.net/specs/connect/1.0/issuer", "href": base }])
        } else {
            links
        };
        oidc_routes(base, fake, json!({})).route(
            "/.well-known/webfinger",
            get(move |RawQuery(query): RawQuery| async move {
                seen.lock().unwrap().push(query.unwrap_or_default());
                Json(json!({ "subject": "acct:joe@example.com", "aliases": [], "links": links }))
            }),
        )
    })
    .await;
    (base, queries)
}

#[tokio::test]
async fn webfinger_finds_the_issuer_and_discovery_takes_it() {
    let (base, queries) = webfinger(Value::Null).await;
    let host = base.trim_start_matches("http://");
    let issuer = OidcClient::issuer_for(&format!("joe@{host}"))
        .await
        .unwrap();
    assert_eq!(issuer, base);
    let asked: HashMap<String, String> =
        url::form_urlencoded::parse(queries.lock().unwrap()[0].as_bytes())
            .into_owned()
            .collect();
    assert_eq!(asked["resource"], format!("acct:joe@{host}"));
    assert_eq!(asked["rel"], "http://openid.net/specs/connect/1.0/issuer");
    let client = OidcClient::discover(&issuer, ID, SECRET).await.unwrap();
    assert_eq!(client.provider().oidc.as_ref().unwrap().issuer, base);

    // A URL names the host the same way.
    let issuer = OidcClient::issuer_for(&format!("{base}/joe"))
        .await
        .unwrap();
    assert_eq!(issuer, base);
}

/// Unknown members and other links are passed over; an `http` issuer off loopback, or no issuer
/// link at all, is refused.
#[tokio::test]
async fn webfinger_answers_are_checked() {
    let rel = "http://openid.net/specs/connect/1.0/issuer";
    let (base, _) = webfinger(json!([
        { "rel": "http://webfinger.net/rel/profile-page", "href": "https://example.com/joe" },
        { "rel": rel, "href": "https://op.example.com", "x-unknown": true }
    ]))
    .await;
    let host = base.trim_start_matches("http://");
    let input = format!("joe@{host}");
    assert_eq!(
        OidcClient::issuer_for(&input).await.unwrap(),
        "https://op.example.com"
    );
    for links in [
        json!([{ "rel": rel, "href": "http://op.example.com" }]),
        json!([{ "rel": "http://webfinger.net/rel/profile-page", "href": "https://x.example" }]),
        json!([{ "rel": rel, "href": "not a url" }]),
    ] {
        let (base, _) = webfinger(links.clone()).await;
        let input = format!("joe@{}", base.trim_start_matches("http://"));
        let error = OidcClient::issuer_for(&input).await.unwrap_err();
        assert!(matches!(error, Error::Discovery(_)), "{links}: {error:?}");
    }
}

#[tokio::test]
async fn discovery_needs_https_off_loopback() {
    let error = OidcClient::discover("http://id.example.com", ID, SECRET)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
}

/// A discovered client and its fake, with `key` published.
async fn oidc_with_key(key: &Key) -> (Client, Arc<Fake>, String) {
    let (base, fake) = oidc(json!({})).await;
    fake.keys.lock().unwrap().push(key.jwk());
    (
        OidcClient::discover(&base, ID, SECRET).await.unwrap(),
        fake,
        base,
    )
}

#[tokio::test]
async fn oidc_good_id_token_passes_and_gives_the_claims() {
    let key = Key::new("k1");
    let (client, fake, base) = oidc_with_key(&key).await;
    fake.set_id_token(key.sign(&claims(&base, "user-1")));
    let (info, tokens) = client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .unwrap();
    assert_eq!(info.ident, "user-1");
    assert_eq!(info.email.as_deref(), Some("ada@example.com"));
    assert!(info.email_verified);
    assert!(tokens.id_token().is_some());
    assert_token_request(&fake.requests_to("/token")[0]);
}

#[tokio::test]
async fn oidc_bad_id_tokens_fail_with_id_token_errors() {
    let key = Key::new("k1");
    let other = Key::new("k1"); // same kid, another key: a forged signature
    let (client, fake, base) = oidc_with_key(&key).await;
    let good = claims(&base, "user-1");
    let with = |name: &str, value: Value| {
        let mut claims = good.clone();
        claims[name] = value;
        claims
    };
    let without = |name: &str| {
        let mut claims = good.clone();
        claims.as_object_mut().unwrap().remove(name);
        claims
    };
    let cases = [
        (
            "wrong issuer",
            key.sign(&with("iss", json!("https://evil.example"))),
        ),
        (
            "wrong audience",
            key.sign(&with("aud", json!("another-client"))),
        ),
        (
            "nonce mismatch",
            key.sign(&with("nonce", json!("replayed"))),
        ),
        ("missing claim `nonce`", key.sign(&without("nonce"))),
        ("expired", key.sign(&with("exp", json!(now() - 120)))),
        (
            "issued in the future",
            key.sign(&with("iat", json!(now() + 600))),
        ),
        ("missing claim `iat`", key.sign(&without("iat"))),
        ("missing claim `sub`", key.sign(&without("sub"))),
        (
            "several audiences",
            key.sign(&with("aud", json!([ID, "another-client"]))),
        ),
        (
            "authorized party",
            key.sign(&with("azp", json!("another-client"))),
        ),
        ("bad signature", other.sign(&good)),
        // Unsigned: refused unless the client opted in (`allow_unsigned_id_tokens`).
        (
            "algorithm none is not allowed",
            format!(
                "{}.{}.",
                b64(&json!({ "alg": "none", "typ": "JWT" })),
                b64(&good)
            ),
        ),
        (
            "not allowed",
            other.sign_with_header(&json!({ "alg": "HS256", "kid": "k1" }), &good),
        ),
        // The published key is ES256: no key fits an RS256 header.
        (
            "no published key",
            other.sign_with_header(&json!({ "alg": "RS256", "kid": "k1" }), &good),
        ),
        ("malformed", "garbage".to_owned()),
    ];
    for (expected, token) in cases {
        fake.set_id_token(token);
        let result = client
            .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
            .await;
        assert!(
            matches!(&result, Err(Error::IdToken(why)) if why.contains(expected)),
            "{expected}: {result:?}"
        );
    }
    // Within the leeway, and with several audiences and our azp: fine.
    fake.set_id_token(key.sign(&with("exp", json!(now() - 30))));
    client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .unwrap();
    let mut several = with("aud", json!([ID, "another-client"]));
    several["azp"] = json!(ID);
    fake.set_id_token(key.sign(&several));
    client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .unwrap();
    // A token response without an ID token, when `openid` was asked for.
    *fake.id_token.lock().unwrap() = None;
    let result = client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await;
    assert!(matches!(result, Err(Error::IdToken(_))), "{result:?}");
}

#[tokio::test]
async fn unknown_kid_refetches_the_keys_once_after_the_cooldown() {
    let old = Key::new("old");
    let new = Key::new("new");
    let (base, fake) = oidc(json!({})).await;
    fake.keys.lock().unwrap().push(old.jwk());
    let config = oidc::discover_config(&HttpClient::shared(), &base)
        .await
        .unwrap();
    let client = Client::build(
        config.clone(),
        std::sync::Arc::new(config),
        ID.into(),
        Some(SECRET.into()),
        HttpClient::shared(),
        crate::jwks::Policy {
            cooldown: Duration::ZERO,
            ..Default::default()
        },
    );

    fake.set_id_token(old.sign(&claims(&base, "user-1")));
    client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .unwrap();
    assert_eq!(fake.jwks_hits.load(Ordering::SeqCst), 1);

    // The provider rotates its keys: one refetch, then the new key is cached.
    *fake.keys.lock().unwrap() = vec![new.jwk()];
    fake.set_id_token(new.sign(&claims(&base, "user-1")));
    client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .unwrap();
    assert_eq!(fake.jwks_hits.load(Ordering::SeqCst), 2);
    client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .unwrap();
    assert_eq!(fake.jwks_hits.load(Ordering::SeqCst), 2);

    // A kid nobody publishes: one refetch, then refused.
    fake.set_id_token(Key::new("made-up").sign(&claims(&base, "user-1")));
    let result = client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await;
    assert!(matches!(result, Err(Error::IdToken(_))), "{result:?}");
    assert_eq!(fake.jwks_hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn unknown_kids_within_the_cooldown_refetch_once() {
    let key = Key::new("k1");
    let (client, fake, base) = oidc_with_key(&key).await;
    fake.set_id_token(key.sign(&claims(&base, "user-1")));
    client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .unwrap();
    for kid in ["x1", "x2", "x3"] {
        fake.set_id_token(Key::new(kid).sign(&claims(&base, "user-1")));
        let result = client
            .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
            .await;
        assert!(matches!(result, Err(Error::IdToken(_))), "{result:?}");
    }
    // The first unknown kid refetches (a rotation right after a login must work); the
    // next ones fall inside the 30 s cooldown and fetch nothing.
    assert_eq!(
        fake.jwks_hits.load(Ordering::SeqCst),
        2,
        "the default 30 s cooldown holds"
    );
}

/// Waits (5 s at most) until the fake's JWKS endpoint has been asked `hits` times.
async fn jwks_hits_reach(fake: &Fake, hits: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while fake.jwks_hits.load(Ordering::SeqCst) < hits {
        assert!(
            Instant::now() < deadline,
            "the JWKS was not fetched {hits} times"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Issue 13, item 3: keys past their age are refreshed in the background, the logins go on with
/// them, and a failed refresh is not retried before the cooldown.
#[tokio::test]
async fn stale_keys_are_refreshed_in_the_background_and_a_failed_refresh_cools_down() {
    let key = Key::new("k1");
    let (base, fake) = oidc(json!({})).await;
    fake.keys.lock().unwrap().push(key.jwk());
    let config = oidc::discover_config(&HttpClient::shared(), &base)
        .await
        .unwrap();
    let build = |cooldown| {
        Client::build(
            config.clone(),
            std::sync::Arc::new(config.clone()),
            ID.into(),
            Some(SECRET.into()),
            HttpClient::shared(),
            crate::jwks::Policy {
                cooldown,
                max_age: Duration::ZERO,
                ..crate::jwks::Policy::default()
            },
        )
    };
    let exchange = |client: &Client| {
        let client = client.clone();
        async move {
            client
                .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
                .await
        }
    };
    fake.set_id_token(key.sign(&claims(&base, "user-1")));

    // The default cooldown: the first login fetches, the next one starts one refresh, which
    // fails; the logins meanwhile and after it use the cached keys and fetch nothing more.
    let client = build(crate::jwks::DEFAULT_COOLDOWN);
    exchange(&client).await.unwrap();
    assert_eq!(fake.jwks_hits.load(Ordering::SeqCst), 1);
    fake.jwks_down.store(true, Ordering::SeqCst);
    exchange(&client).await.unwrap();
    jwks_hits_reach(&fake, 2).await;
    for _ in 0..5 {
        exchange(&client).await.unwrap();
    }
    assert_eq!(
        fake.jwks_hits.load(Ordering::SeqCst),
        2,
        "a failed refresh was retried within the cooldown"
    );
    // An unknown kid still refetches (once), even while the refreshes cool down.
    fake.jwks_down.store(false, Ordering::SeqCst);
    let new = Key::new("k2");
    fake.keys.lock().unwrap().push(new.jwk());
    fake.set_id_token(new.sign(&claims(&base, "user-1")));
    exchange(&client).await.unwrap();
    assert_eq!(fake.jwks_hits.load(Ordering::SeqCst), 3);

    // No cooldown: once a refresh has failed, the next stale login starts another one.
    fake.jwks_hits.store(0, Ordering::SeqCst);
    let client = build(Duration::ZERO);
    exchange(&client).await.unwrap();
    fake.jwks_down.store(true, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(5);
    while fake.jwks_hits.load(Ordering::SeqCst) < 3 {
        assert!(Instant::now() < deadline, "no refresh after a failed one");
        exchange(&client).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// The HTTP policy: body cap, no redirects

#[tokio::test]
async fn oversized_bodies_are_network_errors() {
    // Token endpoint, with a Content-Length over the cap.
    let (base, _) = start(|_, _| {
        let big = "x".repeat(crate::http::MAX_BODY + 1);
        Router::new().route(
            "/login/oauth/access_token",
            post(move || async move { big }),
        )
    })
    .await;
    let client = GitHubAppClient::new(ID, SECRET)
        .with_endpoints(&base)
        .unwrap();
    let error = client
        .exchange_code("good-code", REDIRECT, VERIFIER, None, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Network(m) if m.contains("larger than")),
        "{error:?}"
    );

    // User info, chunked without Content-Length: the cap holds while reading.
    let (base, _) = start(|_, _| github_routes(true)).await;
    let chunked = chunked_server(17, 64 * 1024).await;
    let client = GitHubAppClient::new(ID, SECRET)
        .with_endpoints(&base)
        .unwrap()
        .with_provider(|p| p.userinfo_url = Some(chunked.parse().unwrap()));
    let error = client
        .exchange_code("good-code", REDIRECT, VERIFIER, None, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Network(m) if m.contains("larger than")),
        "{error:?}"
    );

    // Discovery document.
    let (base, _) = oidc(json!({ "padding": "x".repeat(crate::http::MAX_BODY) })).await;
    let error = OidcClient::discover(&base, ID, SECRET).await.unwrap_err();
    assert!(
        matches!(&error, Error::Network(m) if m.contains("larger than")),
        "{error:?}"
    );

    // Key set.
    let key = Key::new("k1");
    let (client, fake, base) = oidc_with_key(&key).await;
    fake.keys
        .lock()
        .unwrap()
        .push(json!({ "padding": "x".repeat(crate::http::MAX_BODY) }));
    fake.set_id_token(key.sign(&claims(&base, "user-1")));
    let error = client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Network(m) if m.contains("larger than")),
        "{error:?}"
    );
}

/// A bare HTTP/1.1 server answering every connection with `chunks` chunks of `size` bytes and no
/// Content-Length. Returns its URL.
async fn chunked_server(chunks: usize, size: usize) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/user", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for _ in 0..chunks {
                    let chunk = format!("{size:x}\r\n{}\r\n", " ".repeat(size));
                    if socket.write_all(chunk.as_bytes()).await.is_err() {
                        return; // the client hung up: the cap worked
                    }
                }
                let _ = socket.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    url
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (base, fake) = start(|_, _| {
        Router::new()
            .route(
                "/login/oauth/access_token",
                post(|| async { Redirect::temporary("/elsewhere") }),
            )
            .route(
                "/elsewhere",
                post(|| async { "followed" }).get(|| async { "followed" }),
            )
    })
    .await;
    let client = GitHubAppClient::new(ID, SECRET)
        .with_endpoints(&base)
        .unwrap();
    let error = client
        .exchange_code("good-code", REDIRECT, VERIFIER, None, None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::TokenExchange(_)), "{error:?}");
    assert!(fake.requests_to("/elsewhere").is_empty());
}

#[test]
fn from_env_names_the_missing_variable() {
    let error = credentials_from_env(
        "OAUTH_RUNTIME_TEST_UNSET_ID",
        "OAUTH_RUNTIME_TEST_UNSET_SECRET",
    )
    .unwrap_err();
    assert!(
        matches!(&error, Error::Config(m) if m.contains("OAUTH_RUNTIME_TEST_UNSET_ID")),
        "{error:?}"
    );
}

#[test]
fn with_endpoints_keeps_the_scopes_and_refuses_a_non_url() {
    let client = GitHubAppClient::new(ID, SECRET)
        .with_scopes(["repo"])
        .with_endpoints("https://ghe.example/")
        .unwrap();
    assert_eq!(client.provider().scopes, ["repo"]);
    assert_eq!(
        client.provider().auth_url.as_str(),
        "https://ghe.example/login/oauth/authorize"
    );
    assert!(matches!(
        GoogleAppClient::new(ID, SECRET).with_endpoints("not a url"),
        Err(Error::Config(_))
    ));
}

#[test]
fn real_endpoints() {
    let google = GoogleAppClient::new(ID, SECRET);
    assert_eq!(
        google.provider().auth_url.as_str(),
        "https://accounts.google.com/o/oauth2/v2/auth"
    );
    assert_eq!(
        google.provider().revocation_url.as_ref().unwrap().as_str(),
        "https://oauth2.googleapis.com/revoke"
    );
    let discord = DiscordAppClient::new(ID, SECRET);
    assert_eq!(
        discord.provider().auth_url.as_str(),
        "https://discord.com/oauth2/authorize"
    );
    assert_eq!(
        discord.provider().userinfo_url.as_ref().unwrap().as_str(),
        "https://discord.com/api/users/@me"
    );
    assert_eq!(
        discord.provider().revocation_url.as_ref().unwrap().as_str(),
        "https://discord.com/api/oauth2/token/revoke"
    );
    let hf = HuggingFaceClient::new(ID, SECRET);
    assert_eq!(
        hf.provider().token_url.as_str(),
        "https://huggingface.co/oauth/token"
    );
    assert_eq!(
        hf.provider().oidc.as_ref().unwrap().jwks_url.as_str(),
        "https://huggingface.co/oauth/jwks"
    );
    let github = GitHubAppClient::new(ID, SECRET);
    assert_eq!(
        github.provider().token_url.as_str(),
        "https://github.com/login/oauth/access_token"
    );
}

// ---------------------------------------------------------------------------------------------
// The development provider, over real loopback HTTP: its ID tokens verify with this client.

#[cfg(feature = "dev-provider")]
#[tokio::test]
async fn the_development_provider_logs_in_through_this_client() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let dev = crate::dev::DevProvider::new(&base).unwrap();
    let router = dev.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let client = dev.client();
    let redirect = format!("{base}/redirect");

    // The browser's part: the login form, posted with the authorization URL's parameters.
    let url = client
        .authorize_url(&redirect, "the-state", VERIFIER, Some(NONCE), &[])
        .unwrap();
    let mut form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    form.push(("login".into(), "ada".into()));
    form.push(("action".into(), "login".into()));
    let response = HttpClient::shared()
        .send(
            HttpClient::shared()
                .request(http::Method::POST, url.clone())
                .form(&form),
        )
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    let location = url::Url::parse(response.headers[header::LOCATION].to_str().unwrap()).unwrap();
    let params: HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(params["state"], "the-state");

    let (info, tokens) = client
        .exchange_code(&params["code"], &redirect, VERIFIER, Some(NONCE), None)
        .await
        .unwrap();
    assert!(!info.ident.is_empty());
    assert!(tokens.id_token().is_some());
}
