//! Pushed authorization requests (RFC 9126), against a fake provider that advertises them: the
//! login's parameters go to the provider first, authenticated, and the browser carries only the
//! client and the `request_uri`; when the push fails, the login fails (no fallback to an
//! unpushed request). `tests/oidc_conformance.rs` logs in through oidc-provider's own endpoint.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use axum_oauth_login::OidcClient;
use axum_oauth_login::prelude::*;
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::json;

#[oauth(provider = "oidc")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

/// How the fake's pushed authorization request endpoint answers.
#[derive(Clone, Copy, PartialEq)]
enum Push {
    /// `201` with a `request_uri`.
    Accept,
    /// `400` with `{"error":"invalid_request"}`.
    Refuse,
    /// `201` without a `request_uri`.
    Garbled,
    /// The document names no endpoint, yet requires pushed requests.
    Absent,
}

/// What the fake's endpoint received: the `Authorization` header and the form.
type Received = Arc<Mutex<Vec<(Option<String>, HashMap<String, String>)>>>;

/// A provider's discovery document and pushed authorization request endpoint; its issuer.
async fn provider(push: Push, required: bool, received: Received) -> String {
    provider_with(push, required, None, received).await
}

/// [`provider`], listing `auth_methods` as the token endpoint's client authentication methods.
async fn provider_with(
    push: Push,
    required: bool,
    auth_methods: Option<&[&str]>,
    received: Received,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let document = {
        let mut doc = json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/jwks"),
            "require_pushed_authorization_requests": required,
        });
        if let Some(methods) = auth_methods {
            doc["token_endpoint_auth_methods_supported"] = json!(methods);
        }
        if push != Push::Absent {
            doc["pushed_authorization_request_endpoint"] = json!(format!("{issuer}/par"));
        }
        doc
    };
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || std::future::ready(Json(document))),
        )
        .route(
            "/par",
            post(
                move |headers: HeaderMap, Form(form): Form<HashMap<String, String>>| async move {
                    let auth = headers
                        .get("authorization")
                        .map(|v| v.to_str().unwrap().to_owned());
                    received.lock().unwrap().push((auth, form));
                    match push {
                        Push::Accept => (
                            StatusCode::CREATED,
                            Json(
                                json!({ "request_uri": "urn:example:pushed:1", "expires_in": 60 }),
                            ),
                        )
                            .into_response(),
                        Push::Refuse => (
                            StatusCode::BAD_REQUEST,
                            Json(json!({ "error": "invalid_request", "error_description": "no" })),
                        )
                            .into_response(),
                        Push::Garbled | Push::Absent => {
                            (StatusCode::CREATED, Json(json!({ "expires_in": 60 }))).into_response()
                        }
                    }
                },
            ),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    issuer
}

/// The app on `issuer`'s provider; its login page's answer.
async fn login_page(issuer: &str) -> (String, common::Page) {
    let client = OidcClient::discover(issuer, "app", "s3cret:+")
        .await
        .unwrap();
    login_page_of(client).await
}

async fn login_page_of(client: axum_oauth_login::Client) -> (String, common::Page) {
    let server = common::serve(|base| async move {
        Auth.builder(client)
            .public_url(base.parse().unwrap())
            .install(common::hello_routes().route("/login", get(common::login_page)))
    })
    .await;
    let page = common::Browser::new()
        .get(&format!("{}/login", server.base))
        .await;
    (server.base.clone(), page)
}

#[tokio::test]
async fn an_advertised_endpoint_gets_the_parameters_and_the_browser_only_a_reference() {
    let received = Received::default();
    let issuer = provider(Push::Accept, false, received.clone()).await;
    let (base, page) = login_page(&issuer).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let link = common::first_href(&page.body).unwrap();
    assert_eq!(
        link,
        format!("{issuer}/authorize?client_id=app&request_uri=urn%3Aexample%3Apushed%3A1")
    );

    let received = received.lock().unwrap();
    let [(auth, form)] = &received[..] else {
        panic!("one push: {received:?}")
    };
    // Authenticated as at the token endpoint: HTTP Basic, each part form-encoded first.
    let basic = base64::engine::general_purpose::STANDARD.encode("app:s3cret%3A%2B");
    assert_eq!(auth.as_deref(), Some(format!("Basic {basic}").as_str()));
    assert_eq!(form["client_id"], "app");
    assert_eq!(form["response_type"], "code");
    assert_eq!(form["redirect_uri"], format!("{base}/redirect"));
    assert_eq!(form["code_challenge_method"], "S256");
    assert!(form["scope"].split(' ').any(|s| s == "openid"));
    for name in ["state", "nonce", "code_challenge"] {
        assert!(form[name].len() >= 43, "{name}: {form:?}");
    }
    assert!(
        !form.contains_key("client_secret"),
        "the secret went in the header"
    );
}

#[tokio::test]
async fn a_failed_push_fails_the_login_without_falling_back() {
    for (push, required) in [
        (Push::Refuse, false),
        (Push::Refuse, true),
        (Push::Garbled, true),
    ] {
        let received = Received::default();
        let issuer = provider(push, required, received.clone()).await;
        let (_, page) = login_page(&issuer).await;
        assert_eq!(page.status, StatusCode::BAD_GATEWAY, "{}", page.body);
        assert!(page.body.contains("pushed_authorization"), "{}", page.body);
        assert!(
            !page.body.contains("/authorize") && !page.body.contains("code_challenge"),
            "no unpushed request instead: {}",
            page.body
        );
        assert_eq!(received.lock().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn required_without_an_endpoint_is_a_configuration_error() {
    let received = Received::default();
    let issuer = provider(Push::Absent, true, received.clone()).await;
    let (_, page) = login_page(&issuer).await;
    assert_eq!(
        page.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        page.body
    );
    assert!(!page.body.contains("/authorize"), "{}", page.body);
    assert!(received.lock().unwrap().is_empty());
}

/// `private_key_jwt` (RFC 7523): with a key, the push is authenticated by an ES256 assertion
/// naming the client, for the provider's issuer; no secret, no Basic header. A provider whose
/// document lists other methods only keeps the secret.
#[tokio::test]
async fn a_client_with_a_key_authenticates_with_an_assertion_where_the_provider_offers_it() {
    let secret = p256::SecretKey::from_slice(&[3; 32]).unwrap();
    let key = axum_oauth_login::ClientKey::from_jwk(&secret.to_jwk_string())
        .unwrap()
        .with_kid("k1");
    for (methods, asserted) in [
        (Some(&["private_key_jwt", "client_secret_basic"][..]), true),
        (None, true),
        (Some(&["client_secret_basic"][..]), false),
    ] {
        let received = Received::default();
        let issuer = provider_with(Push::Accept, false, methods, received.clone()).await;
        let client = OidcClient::discover(&issuer, "app", "s3cret")
            .await
            .unwrap()
            .with_private_key(key.clone());
        let (_, page) = login_page_of(client).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let received = received.lock().unwrap();
        let (auth, form) = &received[0];
        if !asserted {
            assert!(
                auth.as_deref().is_some_and(|a| a.starts_with("Basic ")),
                "{methods:?}"
            );
            assert!(!form.contains_key("client_assertion"));
            continue;
        }
        assert_eq!(auth, &None, "no secret in a header: {methods:?}");
        assert!(!form.contains_key("client_secret"));
        assert_eq!(form["client_id"], "app");
        assert_eq!(
            form["client_assertion_type"],
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        );
        let public: jsonwebtoken::jwk::Jwk =
            serde_json::from_str(&secret.public_key().to_jwk_string()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
        validation.set_audience(&[issuer.as_str()]);
        validation.set_issuer(&["app"]);
        let assertion = jsonwebtoken::decode::<serde_json::Value>(
            &form["client_assertion"],
            &jsonwebtoken::DecodingKey::from_jwk(&public).unwrap(),
            &validation,
        )
        .expect("an assertion signed with the client's key, for this provider");
        assert_eq!(assertion.claims["sub"], "app");
        assert_eq!(assertion.header.kid.as_deref(), Some("k1"));
    }
}
