//! In-process tests of the development provider: each request goes through `router()` with
//! `tower::ServiceExt::oneshot`, no network.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, to_bytes};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::{HeaderMap, Request, StatusCode, header};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use tower::ServiceExt as _;
use url::Url;

use super::{CLIENT_ID, CLIENT_SECRET, DevProvider, Fault, HUGE_RESPONSE_BYTES};

const BASE: &str = "http://127.0.0.1:8000";
const ISSUER: &str = "http://127.0.0.1:8000/_dev/oauth";
const REDIRECT: &str = "http://127.0.0.1:8000/redirect?keep=1";
// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const NONCE: &str = "n-0S6_WzA2Mj";
const STATE: &str = "af0ifjsldkj";

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn location(&self) -> Url {
        Url::parse(self.header(header::LOCATION).expect("a Location header")).unwrap()
    }

    /// The query of the `Location`, as a map.
    fn redirect_params(&self) -> HashMap<String, String> {
        self.location().query_pairs().into_owned().collect()
    }
}

async fn send(dev: &DevProvider, request: Request<Body>) -> Reply {
    let response = dev.router().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = to_bytes(body, 64 << 20).await.unwrap();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn form(uri: &str, body: String) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

/// A form request authenticated with HTTP Basic as `id`:`secret`.
fn basic(uri: &str, id: &str, secret: &str, body: String) -> Request<Body> {
    let mut request = form(uri, body);
    let credentials = format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")));
    request
        .headers_mut()
        .insert(header::AUTHORIZATION, credentials.parse().unwrap());
    request
}

fn encode(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The authorization request's parameters, with `changes` applied (`None` removes one).
fn auth_params(changes: &[(&str, Option<&str>)]) -> String {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("state", STATE),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("scope", "openid email profile"),
        ("nonce", NONCE),
    ];
    for (name, value) in changes {
        pairs.retain(|(n, _)| n != name);
        if let Some(value) = value {
            pairs.push((name, value));
        }
    }
    encode(&pairs)
}

fn dev() -> DevProvider {
    DevProvider::new(BASE).unwrap()
}

/// Logs in as `login` through the form and returns the redirect.
async fn submit(dev: &DevProvider, login: &str, changes: &[(&str, Option<&str>)]) -> Reply {
    let body = format!(
        "{}&{}",
        auth_params(changes),
        encode(&[("login", login), ("action", "login")])
    );
    send(dev, form("/_dev/oauth/authorize", body)).await
}

async fn code(dev: &DevProvider) -> String {
    let reply = submit(dev, "ada", &[]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    reply.redirect_params()["code"].clone()
}

fn code_grant(code: &str) -> String {
    encode(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ])
}

async fn exchange(dev: &DevProvider, body: String) -> Reply {
    send(
        dev,
        basic("/_dev/oauth/token", CLIENT_ID, CLIENT_SECRET, body),
    )
    .await
}

/// A full login: the token response.
async fn tokens(dev: &DevProvider) -> Value {
    let code = code(dev).await;
    let reply = exchange(dev, code_grant(&code)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()
}

async fn jwks(dev: &DevProvider) -> JwkSet {
    serde_json::from_value(send(dev, get("/_dev/oauth/jwks")).await.json()).unwrap()
}

/// Verifies the ID token with the published key its `kid` names, like a client would.
async fn verify(dev: &DevProvider, id_token: &str) -> Result<Value, jsonwebtoken::errors::Error> {
    let kid = jsonwebtoken::decode_header(id_token)?.kid.expect("a kid");
    let set = jwks(dev).await;
    let jwk = set.find(&kid).expect("the kid is published");
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[CLIENT_ID]);
    jsonwebtoken::decode::<Value>(id_token, &DecodingKey::from_jwk(jwk)?, &validation)
        .map(|t| t.claims)
}

/// The payload of a JWT, unverified.
fn payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn bearer(uri: &str, token: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn discovery_document_describes_the_provider() {
    let reply = send(&dev(), get("/_dev/oauth/.well-known/openid-configuration")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = reply.json();
    assert_eq!(doc["issuer"], ISSUER);
    assert_eq!(doc["authorization_endpoint"], format!("{ISSUER}/authorize"));
    assert_eq!(doc["token_endpoint"], format!("{ISSUER}/token"));
    assert_eq!(doc["userinfo_endpoint"], format!("{ISSUER}/userinfo"));
    assert_eq!(doc["jwks_uri"], format!("{ISSUER}/jwks"));
    assert_eq!(doc["revocation_endpoint"], format!("{ISSUER}/revoke"));
    assert_eq!(doc["end_session_endpoint"], format!("{ISSUER}/logout"));
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["ES256"])
    );
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post"])
    );
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(
        doc["scopes_supported"],
        serde_json::json!(["openid", "email", "profile"])
    );
    assert!(
        doc["claims_supported"]
            .as_array()
            .unwrap()
            .contains(&"email_verified".into())
    );
}

#[test]
fn the_base_url_must_be_an_origin() {
    assert_eq!(
        DevProvider::new("http://localhost:8000/").unwrap().issuer(),
        "http://localhost:8000/_dev/oauth"
    );
    assert_eq!(
        DevProvider::builder("https://example.test:443")
            .allow_non_loopback()
            .build()
            .unwrap()
            .issuer(),
        "https://example.test/_dev/oauth"
    );
    for bad in [
        "",
        "localhost:8000",
        "ftp://x",
        "http://x/app",
        "http://x/?a=1",
        "http://u:p@x",
        "data:,x",
    ] {
        assert_eq!(DevProvider::new(bad).unwrap_err().code(), "config", "{bad}");
    }
}

#[test]
fn only_loopback_origins_without_the_explicit_switch() {
    for loopback in [
        "http://localhost:8000",
        "http://LOCALHOST",
        "https://app.localhost",
        "http://127.0.0.1:1",
        "http://127.8.9.10",
        "http://[::1]:8000",
    ] {
        assert!(DevProvider::new(loopback).is_ok(), "{loopback}");
    }
    for other in [
        "http://0.0.0.0:8000",
        "http://192.168.1.20:8000",
        "https://app.example.com",
        "http://localhost.example.com",
        "http://[::]:8000",
        "http://10.0.0.1",
    ] {
        let error = DevProvider::new(other).unwrap_err();
        assert_eq!(error.code(), "config", "{other}");
        assert!(error.to_string().contains("loopback"), "{other}: {error}");
        assert!(
            DevProvider::builder(other)
                .allow_non_loopback()
                .build()
                .is_ok(),
            "{other}"
        );
    }
}

#[test]
fn the_client_points_at_the_provider() {
    let dev = dev();
    let client = dev.client();
    let provider = client.provider();
    assert_eq!(provider.name, "dev");
    assert_eq!(provider.auth_url.as_str(), format!("{ISSUER}/authorize"));
    assert_eq!(
        provider.userinfo_url.as_ref().unwrap().as_str(),
        format!("{ISSUER}/userinfo")
    );
    assert_eq!(
        provider.oidc.as_ref().unwrap().jwks_url.as_str(),
        format!("{ISSUER}/jwks")
    );
    assert_eq!(provider.scopes, ["openid", "email", "profile"]);
    assert_eq!(provider.id_key, "sub");
    assert!(provider.iss_parameter);
    assert!(
        client
            .provider_routes()
            .is_some_and(|(prefix, _)| prefix == "/_dev/oauth/"),
        "the client brings the routes along"
    );
    assert!(!format!("{dev:?}").contains("secret"));
}

#[tokio::test]
async fn the_login_page_escapes_what_the_request_brought() {
    let hostile = "\"><script>alert(1)</script>";
    let reply = send(
        &dev(),
        get(&format!(
            "/_dev/oauth/authorize?{}",
            auth_params(&[("state", Some(hostile))])
        )),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let page = reply.text();
    assert!(page.contains("never use in production"));
    assert!(page.contains("name=\"login\""));
    assert!(page.contains("value=\"cancel\""));
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("&quot;&gt;&lt;script&gt;"), "{page}");
    assert_eq!(reply.header(header::X_FRAME_OPTIONS), Some("DENY"));
    assert_eq!(reply.header(header::CACHE_CONTROL), Some("no-store"));
    assert!(
        reply
            .header(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .contains("default-src 'none'")
    );
}

#[tokio::test]
async fn a_get_with_login_is_no_shortcut() {
    let reply = send(
        &dev(),
        get(&format!(
            "/_dev/oauth/authorize?{}&login=ada",
            auth_params(&[])
        )),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.headers.get(header::LOCATION).is_none());
}

#[tokio::test]
async fn requests_without_pkce_s256_are_refused() {
    let dev = dev();
    for changes in [
        [("code_challenge", None)],
        [("code_challenge_method", None)],
        [("code_challenge_method", Some("plain"))],
        [("code_challenge", Some("short"))],
    ] {
        for reply in [
            send(
                &dev,
                get(&format!("/_dev/oauth/authorize?{}", auth_params(&changes))),
            )
            .await,
            submit(&dev, "ada", &changes).await,
        ] {
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{changes:?}");
            let params = reply.redirect_params();
            assert_eq!(params["error"], "invalid_request", "{changes:?}");
            assert_eq!(params["state"], STATE);
            assert_eq!(params["iss"], ISSUER);
            assert!(!params.contains_key("code"));
        }
    }
}

#[tokio::test]
async fn other_request_errors_go_back_to_the_client() {
    let dev = dev();
    type Changes<'a> = &'a [(&'a str, Option<&'a str>)];
    let cases: [(Changes, &str); 4] = [
        (
            &[("response_type", Some("token"))],
            "unsupported_response_type",
        ),
        (&[("response_type", None)], "invalid_request"),
        (&[("scope", Some("admin"))], "invalid_scope"),
        (&[("prompt", Some("none"))], "login_required"),
    ];
    for (changes, error) in cases {
        let reply = send(
            &dev,
            get(&format!("/_dev/oauth/authorize?{}", auth_params(changes))),
        )
        .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{changes:?}");
        assert_eq!(reply.redirect_params()["error"], error);
    }
    // Without a state there is nothing to echo, but the client still hears of it.
    let reply = send(
        &dev,
        get(&format!(
            "/_dev/oauth/authorize?{}",
            auth_params(&[("state", None)])
        )),
    )
    .await;
    assert_eq!(reply.redirect_params()["error"], "invalid_request");
    assert!(!reply.redirect_params().contains_key("state"));
}

/// Issue 13, item 4: request errors go back only to a redirect URI on the app's own origin (the
/// only client's). Another origin's gets a page and no `Location`, as the end-session endpoint
/// does, so that `/authorize` is no open redirector; the app's own still gets the error by
/// redirect (RFC 6749 §4.1.2.1).
#[tokio::test]
async fn errors_for_a_foreign_redirect_uri_are_a_page_not_a_redirect() {
    let dev = dev();
    type Changes<'a> = Vec<(&'a str, Option<&'a str>)>;
    let cases: [(Changes, &str); 6] = [
        (
            vec![("response_type", Some("token"))],
            "unsupported_response_type",
        ),
        (vec![("code_challenge", None)], "invalid_request"),
        (
            vec![("code_challenge_method", Some("plain"))],
            "invalid_request",
        ),
        (vec![("scope", Some("admin"))], "invalid_scope"),
        (vec![("state", None)], "invalid_request"),
        (vec![("prompt", Some("none"))], "login_required"),
    ];
    for (changes, error) in cases {
        for foreign in [
            "http://evil.test/cb",
            "http://127.0.0.1:8001/redirect",
            "https://127.0.0.1:8000/redirect",
            "http://localhost:8000/redirect",
        ] {
            let mut changes = changes.clone();
            changes.push(("redirect_uri", Some(foreign)));
            let reply = send(
                &dev,
                get(&format!("/_dev/oauth/authorize?{}", auth_params(&changes))),
            )
            .await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{changes:?}");
            assert!(reply.headers.get(header::LOCATION).is_none(), "{changes:?}");
            assert!(reply.text().contains("Invalid authorization request"));
            if !changes.iter().any(|(name, _)| *name == "prompt") {
                let reply = submit(&dev, "ada", &changes).await;
                assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{changes:?}");
                assert!(reply.headers.get(header::LOCATION).is_none());
            }
        }
        let reply = send(
            &dev,
            get(&format!("/_dev/oauth/authorize?{}", auth_params(&changes))),
        )
        .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{changes:?}");
        assert_eq!(
            reply.location().origin(),
            Url::parse(BASE).unwrap().origin()
        );
        assert_eq!(reply.redirect_params()["error"], error, "{changes:?}");
    }

    // Cancel, and the provider refusing every login: the same rule.
    let foreign = [("redirect_uri", Some("http://evil.test/cb"))];
    let cancel = |changes: &[(&str, Option<&str>)]| {
        form(
            "/_dev/oauth/authorize",
            format!("{}&action=cancel&login=ada", auth_params(changes)),
        )
    };
    let reply = send(&dev, cancel(&foreign)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.headers.get(header::LOCATION).is_none());
    let reply = send(&dev, cancel(&[])).await;
    assert_eq!(reply.redirect_params()["error"], "access_denied");
    dev.set_fault(Some(Fault::AccessDenied));
    let reply = send(
        &dev,
        get(&format!("/_dev/oauth/authorize?{}", auth_params(&foreign))),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.headers.get(header::LOCATION).is_none());
    let reply = send(
        &dev,
        get(&format!("/_dev/oauth/authorize?{}", auth_params(&[]))),
    )
    .await;
    assert_eq!(reply.redirect_params()["error"], "access_denied");

    // A login the user confirms still goes to the redirect URI the login page names.
    dev.set_fault(None);
    let reply = submit(&dev, "ada", &foreign).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    assert!(reply.redirect_params().contains_key("code"));
}

#[tokio::test]
async fn an_untrusted_client_or_redirect_uri_gets_a_page_not_a_redirect() {
    let dev = dev();
    for changes in [
        [("redirect_uri", Some("javascript:alert(1)"))],
        [("redirect_uri", Some("/relative"))],
        [("redirect_uri", Some("http://127.0.0.1:8000/cb#frag"))],
        [("redirect_uri", None)],
        [("client_id", Some("someone-else"))],
        [("client_id", None)],
    ] {
        let reply = send(
            &dev,
            get(&format!("/_dev/oauth/authorize?{}", auth_params(&changes))),
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{changes:?}");
        assert!(reply.headers.get(header::LOCATION).is_none());
        assert!(reply.text().contains("Invalid authorization request"));
        let reply = submit(&dev, "ada", &changes).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{changes:?}");
    }
    let repeated = format!(
        "/_dev/oauth/authorize?{}&redirect_uri=http%3A%2F%2Fevil.test%2F",
        auth_params(&[])
    );
    assert_eq!(
        send(&dev, get(&repeated)).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn logging_in_redirects_with_code_state_and_iss() {
    let reply = submit(&dev(), "ada", &[]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let location = reply.location();
    assert_eq!(location.path(), "/redirect");
    let params = reply.redirect_params();
    assert_eq!(params["keep"], "1", "the redirect URI's own query is kept");
    assert_eq!(params["state"], STATE);
    assert_eq!(params["iss"], ISSUER);
    assert!(params["code"].len() >= 43);
}

#[tokio::test]
async fn an_empty_login_shows_the_page_again() {
    let reply = submit(&dev(), "   ", &[]).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.text().contains("Type a name or an email address"));
}

#[tokio::test]
async fn cancel_redirects_with_access_denied() {
    let body = format!("{}&action=cancel", auth_params(&[]));
    let reply = send(&dev(), form("/_dev/oauth/authorize", body)).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let params = reply.redirect_params();
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], STATE);
    assert_eq!(params["iss"], ISSUER);
    assert!(!params.contains_key("code"));
}

/// `response_mode=form_post`: the login form and the cancel answer with a page whose form posts
/// `code` (or `error`), `state` and `iss` to the redirect URI; nothing goes in a URL.
#[tokio::test]
async fn form_post_answers_with_a_form_to_the_redirect_uri() {
    let dev = dev();
    let mode = [("response_mode", Some("form_post"))];
    let page = send(
        &dev,
        get(&format!("/_dev/oauth/authorize?{}", auth_params(&mode))),
    )
    .await;
    assert!(
        page.text()
            .contains("name=\"response_mode\" value=\"form_post\""),
        "the login form carries the mode: {}",
        page.text()
    );
    let fields = |reply: &Reply| -> HashMap<String, String> {
        let text = reply.text();
        text.split("<input type=hidden ")
            .skip(1)
            .map(|input| {
                let quoted = |key: &str| {
                    let start = input.find(&format!("{key}=\"")).unwrap() + key.len() + 2;
                    let end = start + input[start..].find('"').unwrap();
                    html_escape::decode_html_entities(&input[start..end]).into_owned()
                };
                (quoted("name"), quoted("value"))
            })
            .collect()
    };

    let reply = submit(&dev, "ada", &mode).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(reply.headers.get(header::LOCATION).is_none());
    assert!(
        reply
            .text()
            .contains(&format!("<form method=post action=\"{REDIRECT}\">")),
        "{}",
        reply.text()
    );
    let posted = fields(&reply);
    assert_eq!(posted["state"], STATE);
    assert_eq!(posted["iss"], ISSUER);
    let exchanged = exchange(&dev, code_grant(&posted["code"])).await;
    assert_eq!(exchanged.status, StatusCode::OK, "{}", exchanged.text());

    let body = format!("{}&action=cancel", auth_params(&mode));
    let cancelled = send(&dev, form("/_dev/oauth/authorize", body)).await;
    let posted = fields(&cancelled);
    assert_eq!(posted["error"], "access_denied");
    assert_eq!(posted["state"], STATE);
    assert!(!posted.contains_key("code"));

    let other = [("response_mode", Some("fragment"))];
    let refused = submit(&dev, "ada", &other).await;
    assert_eq!(refused.redirect_params()["error"], "invalid_request");
}

#[tokio::test]
async fn the_code_exchange_succeeds_with_the_right_verifier() {
    let dev = dev();
    let code = code(&dev).await;
    let reply = exchange(&dev, code_grant(&code)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.header(header::CACHE_CONTROL), Some("no-store"));
    assert_eq!(reply.header(header::CONTENT_TYPE), Some("application/json"));
    let answer = reply.json();
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["expires_in"], 3600);
    assert_eq!(answer["scope"], "openid email profile");
    for field in ["access_token", "refresh_token", "id_token"] {
        assert!(
            answer[field].as_str().is_some_and(|t| t.len() >= 43),
            "{field}"
        );
    }
}

#[tokio::test]
async fn client_secret_post_works_too() {
    let dev = dev();
    let code = code(&dev).await;
    let body = format!(
        "{}&{}",
        code_grant(&code),
        encode(&[("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)])
    );
    let reply = send(&dev, form("/_dev/oauth/token", body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
}

async fn assert_token_error(reply: &Reply, status: StatusCode, error: &str) {
    assert_eq!(reply.status, status, "{}", reply.text());
    assert_eq!(reply.json()["error"], error);
    assert_eq!(reply.header(header::CACHE_CONTROL), Some("no-store"));
}

#[tokio::test]
async fn a_wrong_verifier_is_invalid_grant_and_burns_the_code() {
    let dev = dev();
    let first = code(&dev).await;
    let wrong = code_grant(&first).replace(VERIFIER, &"a".repeat(43));
    assert_token_error(
        &exchange(&dev, wrong).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    assert_token_error(
        &exchange(&dev, code_grant(&first)).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;

    let second = code(&dev).await;
    let missing = encode(&[
        ("grant_type", "authorization_code"),
        ("code", &second),
        ("redirect_uri", REDIRECT),
    ]);
    assert_token_error(
        &exchange(&dev, missing).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn a_reused_code_is_refused_and_revokes_its_tokens() {
    let dev = dev();
    let code = code(&dev).await;
    let first = exchange(&dev, code_grant(&code)).await.json();
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(
        send(&dev, bearer("/_dev/oauth/userinfo", access))
            .await
            .status,
        StatusCode::OK
    );
    assert_token_error(
        &exchange(&dev, code_grant(&code)).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    assert_eq!(
        send(&dev, bearer("/_dev/oauth/userinfo", access))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn another_redirect_uri_is_invalid_grant() {
    let dev = dev();
    let code = code(&dev).await;
    let body = code_grant(&code).replace("keep%3D1", "keep%3D2");
    assert_token_error(
        &exchange(&dev, body).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn unknown_codes_and_grant_types_are_refused() {
    let dev = dev();
    assert_token_error(
        &exchange(&dev, code_grant("nope")).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    let body = encode(&[("grant_type", "password"), ("username", "ada")]);
    assert_token_error(
        &exchange(&dev, body).await,
        StatusCode::BAD_REQUEST,
        "unsupported_grant_type",
    )
    .await;
    let body = code_grant("x").replace("redirect_uri", "redirect_urx");
    assert_token_error(
        &exchange(&dev, body).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn client_authentication_is_required() {
    let dev = dev();
    let code = code(&dev).await;
    let reply = send(
        &dev,
        basic("/_dev/oauth/token", CLIENT_ID, "wrong", code_grant(&code)),
    )
    .await;
    assert_token_error(&reply, StatusCode::UNAUTHORIZED, "invalid_client").await;
    assert!(
        reply
            .header(header::WWW_AUTHENTICATE)
            .unwrap()
            .starts_with("Basic")
    );
    let reply = send(
        &dev,
        basic(
            "/_dev/oauth/token",
            "other",
            CLIENT_SECRET,
            code_grant(&code),
        ),
    )
    .await;
    assert_token_error(&reply, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let reply = send(&dev, form("/_dev/oauth/token", code_grant(&code))).await;
    assert_token_error(&reply, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let both = format!("{}&client_secret={CLIENT_SECRET}", code_grant(&code));
    let reply = send(
        &dev,
        basic("/_dev/oauth/token", CLIENT_ID, CLIENT_SECRET, both),
    )
    .await;
    assert_token_error(&reply, StatusCode::BAD_REQUEST, "invalid_request").await;
    let mut not_a_form = basic(
        "/_dev/oauth/token",
        CLIENT_ID,
        CLIENT_SECRET,
        code_grant(&code),
    );
    not_a_form
        .headers_mut()
        .insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
    assert_token_error(
        &send(&dev, not_a_form).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    // None of these used the code up.
    assert_eq!(
        exchange(&dev, code_grant(&code)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_id_token_verifies_with_the_jwks_and_carries_the_nonce() {
    let dev = dev();
    let answer = tokens(&dev).await;
    let id_token = answer["id_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    assert_eq!(header.alg, Algorithm::ES256);
    let set = jwks(&dev).await;
    assert_eq!(set.keys.len(), 1);
    let jwk = serde_json::to_value(&set.keys[0]).unwrap();
    for (field, value) in [
        ("kty", "EC"),
        ("crv", "P-256"),
        ("alg", "ES256"),
        ("use", "sig"),
    ] {
        assert_eq!(jwk[field], value, "{field}");
    }
    assert_eq!(header.kid.as_deref(), jwk["kid"].as_str());
    let claims = verify(&dev, id_token).await.unwrap();
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], CLIENT_ID);
    assert_eq!(claims["nonce"], NONCE);
    assert_eq!(claims["email"], "ada@example.com");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["name"], "ada");
    assert_eq!(claims["preferred_username"], "ada");
    assert!(claims["sub"].as_str().unwrap().starts_with("dev-"));
    assert!(claims["exp"].as_u64() > claims["iat"].as_u64());
    // The same login name is the same user next time.
    assert_eq!(
        payload(tokens(&dev).await["id_token"].as_str().unwrap())["sub"],
        claims["sub"]
    );
}

#[tokio::test]
async fn without_a_nonce_the_id_token_has_none() {
    let dev = dev();
    let reply = submit(&dev, "ada@example.org", &[("nonce", None)]).await;
    let code = reply.redirect_params()["code"].clone();
    let answer = exchange(&dev, code_grant(&code)).await.json();
    let claims = verify(&dev, answer["id_token"].as_str().unwrap())
        .await
        .unwrap();
    assert!(claims.get("nonce").is_none());
    assert_eq!(claims["email"], "ada@example.org");
}

#[tokio::test]
async fn the_scope_decides_the_claims() {
    let dev = dev();
    let reply = submit(&dev, "ada", &[("scope", Some("openid unknown"))]).await;
    let code = reply.redirect_params()["code"].clone();
    let answer = exchange(&dev, code_grant(&code)).await.json();
    assert_eq!(answer["scope"], "openid");
    let claims = payload(answer["id_token"].as_str().unwrap());
    assert!(claims.get("email").is_none() && claims.get("name").is_none());
    // Plain OAuth 2: no ID token.
    let reply = submit(&dev, "ada", &[("scope", Some("email"))]).await;
    let code = reply.redirect_params()["code"].clone();
    let answer = exchange(&dev, code_grant(&code)).await.json();
    assert!(answer.get("id_token").is_none());
    let info = send(
        &dev,
        bearer(
            "/_dev/oauth/userinfo",
            answer["access_token"].as_str().unwrap(),
        ),
    )
    .await
    .json();
    assert_eq!(info["email"], "ada@example.com");
}

#[tokio::test]
async fn userinfo_needs_a_live_access_token() {
    let dev = dev();
    let answer = tokens(&dev).await;
    let reply = send(
        &dev,
        bearer(
            "/_dev/oauth/userinfo",
            answer["access_token"].as_str().unwrap(),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header(header::CACHE_CONTROL), Some("no-store"));
    let info = reply.json();
    assert_eq!(
        info["sub"],
        payload(answer["id_token"].as_str().unwrap())["sub"]
    );
    assert_eq!(info["email"], "ada@example.com");
    assert_eq!(info["email_verified"], true);
    assert_eq!(info["name"], "ada");
    assert_eq!(info["preferred_username"], "ada");

    let reply = send(&dev, get("/_dev/oauth/userinfo")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(
        reply
            .header(header::WWW_AUTHENTICATE)
            .unwrap()
            .starts_with("Bearer")
    );
    let reply = send(&dev, bearer("/_dev/oauth/userinfo", "not-a-token")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        reply.header(header::WWW_AUTHENTICATE),
        Some("Bearer error=\"invalid_token\"")
    );
}

fn refresh_grant(token: &str) -> String {
    encode(&[("grant_type", "refresh_token"), ("refresh_token", token)])
}

#[tokio::test]
async fn refresh_tokens_rotate() {
    let dev = dev();
    let first = tokens(&dev).await;
    let old = first["refresh_token"].as_str().unwrap();
    let reply = exchange(&dev, refresh_grant(old)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let second = reply.json();
    let new = second["refresh_token"].as_str().unwrap();
    assert_ne!(new, old);
    assert_ne!(second["access_token"], first["access_token"]);
    let claims = verify(&dev, second["id_token"].as_str().unwrap())
        .await
        .unwrap();
    assert!(
        claims.get("nonce").is_none(),
        "a refreshed ID token has no nonce"
    );
    assert_eq!(
        claims["sub"],
        payload(first["id_token"].as_str().unwrap())["sub"]
    );
    let new_access = second["access_token"].as_str().unwrap();
    assert_eq!(
        send(&dev, bearer("/_dev/oauth/userinfo", new_access))
            .await
            .status,
        StatusCode::OK
    );

    // The old one is refused, and its replay revokes the whole grant (OAuth 2.0 Security BCP).
    assert_token_error(
        &exchange(&dev, refresh_grant(old)).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    assert_eq!(
        send(&dev, bearer("/_dev/oauth/userinfo", new_access))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_token_error(
        &exchange(&dev, refresh_grant(new)).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
}

async fn revoke(dev: &DevProvider, token: &str) -> Reply {
    send(
        dev,
        basic(
            "/_dev/oauth/revoke",
            CLIENT_ID,
            CLIENT_SECRET,
            encode(&[("token", token)]),
        ),
    )
    .await
}

#[tokio::test]
async fn revocation_stops_the_token() {
    let dev = dev();
    let answer = tokens(&dev).await;
    let access = answer["access_token"].as_str().unwrap();
    assert_eq!(revoke(&dev, access).await.status, StatusCode::OK);
    assert_eq!(
        send(&dev, bearer("/_dev/oauth/userinfo", access))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(revoke(&dev, "never-issued").await.status, StatusCode::OK);

    // Revoking the refresh token ends its access tokens too.
    let answer = tokens(&dev).await;
    assert_eq!(
        revoke(&dev, answer["refresh_token"].as_str().unwrap())
            .await
            .status,
        StatusCode::OK
    );
    let access = answer["access_token"].as_str().unwrap();
    assert_eq!(
        send(&dev, bearer("/_dev/oauth/userinfo", access))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let refresh = answer["refresh_token"].as_str().unwrap();
    assert_token_error(
        &exchange(&dev, refresh_grant(refresh)).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;

    let unauthenticated = send(&dev, form("/_dev/oauth/revoke", encode(&[("token", "x")]))).await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_redirects_only_where_it_is_safe() {
    let dev = dev();
    let reply = send(&dev, get("/_dev/oauth/logout")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.text().contains("Logged out"));

    let home = encode(&[
        ("post_logout_redirect_uri", "http://127.0.0.1:8000/bye"),
        ("state", "s1"),
    ]);
    let reply = send(&dev, get(&format!("/_dev/oauth/logout?{home}"))).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(
        reply.location().as_str(),
        "http://127.0.0.1:8000/bye?state=s1"
    );

    let elsewhere = "http://localhost:9000/bye";
    let reply = send(
        &dev,
        get(&format!(
            "/_dev/oauth/logout?{}",
            encode(&[("post_logout_redirect_uri", elsewhere)])
        )),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "no open redirect");
    assert!(reply.text().contains("href=\"http://localhost:9000/bye\""));

    let id_token = tokens(&dev).await["id_token"].as_str().unwrap().to_owned();
    let hinted = encode(&[
        ("post_logout_redirect_uri", elsewhere),
        ("id_token_hint", &id_token),
    ]);
    let reply = send(&dev, get(&format!("/_dev/oauth/logout?{hinted}"))).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location().as_str(), elsewhere);

    let forged = encode(&[
        ("post_logout_redirect_uri", elsewhere),
        ("id_token_hint", "a.b.c"),
    ]);
    assert_eq!(
        send(&dev, get(&format!("/_dev/oauth/logout?{forged}")))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn key_rotation_publishes_both_keys() {
    let dev = dev();
    let before = tokens(&dev).await["id_token"].as_str().unwrap().to_owned();
    dev.rotate_key().unwrap();
    let after = tokens(&dev).await["id_token"].as_str().unwrap().to_owned();
    let kid = |t: &str| jsonwebtoken::decode_header(t).unwrap().kid.unwrap();
    assert_ne!(kid(&before), kid(&after));
    assert_eq!(jwks(&dev).await.keys.len(), 2);
    verify(&dev, &before).await.unwrap();
    verify(&dev, &after).await.unwrap();
}

#[tokio::test]
async fn hostile_input_never_panics() {
    let dev = dev();
    for uri in [
        "/_dev/oauth/authorize?%ff%fe=%00",
        "/_dev/oauth/authorize?state=%00&client_id=dev-client&redirect_uri=http%3A%2F%2Fa",
        "/_dev/oauth/logout?post_logout_redirect_uri=%0d%0a",
        "/_dev/oauth/logout?id_token_hint=....",
    ] {
        assert!(send(&dev, get(uri)).await.status.as_u16() < 500, "{uri}");
    }
    let mut weird = bearer("/_dev/oauth/userinfo", "x");
    weird.headers_mut().insert(
        header::AUTHORIZATION,
        http::HeaderValue::from_bytes(b"Bearer \xff").unwrap(),
    );
    assert!(send(&dev, weird).await.status.is_client_error());
    let reply = send(
        &dev,
        form("/_dev/oauth/token", "\u{0}&&==&grant_type".into()),
    )
    .await;
    assert!(reply.status.is_client_error());
}

// --- Faults -------------------------------------------------------------------------------------

/// The ID token of a login made while `fault` is set.
async fn id_token_with(fault: Fault) -> (DevProvider, String) {
    let dev = dev().with_fault(fault);
    let id_token = tokens(&dev).await["id_token"].as_str().unwrap().to_owned();
    (dev, id_token)
}

#[tokio::test]
async fn fault_bad_signature() {
    let (dev, id_token) = id_token_with(Fault::BadSignature).await;
    let published = jwks(&dev).await.keys[0].common.key_id.clone();
    assert_eq!(
        jsonwebtoken::decode_header(&id_token).unwrap().kid,
        published,
        "the published kid"
    );
    let error = verify(&dev, &id_token).await.unwrap_err();
    assert_eq!(
        error.kind(),
        &jsonwebtoken::errors::ErrorKind::InvalidSignature
    );
}

#[tokio::test]
async fn fault_alg_none() {
    let (dev, id_token) = id_token_with(Fault::AlgNone).await;
    let parts: Vec<&str> = id_token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "none");
    assert_eq!(parts[2], "");
    assert_eq!(payload(&id_token)["nonce"], NONCE);
    assert!(verify_any_kid(&dev, &id_token).await.is_err());
}

/// Verifies with the first published key whatever the header says.
async fn verify_any_kid(
    dev: &DevProvider,
    id_token: &str,
) -> Result<Value, jsonwebtoken::errors::Error> {
    let set = jwks(dev).await;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[CLIENT_ID]);
    jsonwebtoken::decode::<Value>(id_token, &DecodingKey::from_jwk(&set.keys[0])?, &validation)
        .map(|t| t.claims)
}

#[tokio::test]
async fn fault_wrong_audience() {
    let (dev, id_token) = id_token_with(Fault::WrongAudience).await;
    assert_ne!(payload(&id_token)["aud"], CLIENT_ID);
    let error = verify(&dev, &id_token).await.unwrap_err();
    assert_eq!(
        error.kind(),
        &jsonwebtoken::errors::ErrorKind::InvalidAudience
    );
}

#[tokio::test]
async fn fault_wrong_issuer() {
    let (dev, id_token) = id_token_with(Fault::WrongIssuer).await;
    assert_ne!(payload(&id_token)["iss"], ISSUER);
    let error = verify(&dev, &id_token).await.unwrap_err();
    assert_eq!(
        error.kind(),
        &jsonwebtoken::errors::ErrorKind::InvalidIssuer
    );
}

#[tokio::test]
async fn fault_expired_id_token() {
    let (dev, id_token) = id_token_with(Fault::ExpiredIdToken).await;
    let error = verify(&dev, &id_token).await.unwrap_err();
    assert_eq!(
        error.kind(),
        &jsonwebtoken::errors::ErrorKind::ExpiredSignature
    );
}

#[tokio::test]
async fn fault_wrong_nonce() {
    let (dev, id_token) = id_token_with(Fault::WrongNonce).await;
    let claims = verify(&dev, &id_token).await.expect("validly signed");
    assert!(claims["nonce"].as_str().is_some_and(|n| n != NONCE));
}

#[tokio::test]
async fn fault_unknown_kid() {
    let (dev, id_token) = id_token_with(Fault::UnknownKid).await;
    let kid = jsonwebtoken::decode_header(&id_token).unwrap().kid.unwrap();
    assert!(jwks(&dev).await.find(&kid).is_none());
    assert!(
        verify_any_kid(&dev, &id_token).await.is_err(),
        "no published key verifies it either"
    );
}

#[tokio::test]
async fn fault_userinfo_sub_mismatch() {
    let (dev, _) = id_token_with(Fault::UserinfoSubMismatch).await;
    let answer = tokens(&dev).await;
    let id_sub = verify(&dev, answer["id_token"].as_str().unwrap())
        .await
        .unwrap()["sub"]
        .clone();
    let info = send(
        &dev,
        bearer(
            "/_dev/oauth/userinfo",
            answer["access_token"].as_str().unwrap(),
        ),
    )
    .await
    .json();
    assert_ne!(info["sub"], id_sub);
}

#[tokio::test]
async fn fault_token_endpoint_500() {
    let dev = dev();
    let code = code(&dev).await;
    dev.set_fault(Some(Fault::TokenEndpoint500));
    let reply = exchange(&dev, code_grant(&code)).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    dev.set_fault(None);
    assert_eq!(
        exchange(&dev, code_grant(&code)).await.status,
        StatusCode::OK,
        "the code was not consumed"
    );
}

#[tokio::test]
async fn fault_token_endpoint_garbage() {
    let dev = dev();
    let code = code(&dev).await;
    dev.set_fault(Some(Fault::TokenEndpointGarbage));
    let reply = exchange(&dev, code_grant(&code)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header(header::CONTENT_TYPE), Some("application/json"));
    assert!(serde_json::from_slice::<Value>(&reply.body).is_err());
}

#[tokio::test]
async fn fault_token_endpoint_slow() {
    let dev = dev();
    let code = code(&dev).await;
    dev.set_fault(Some(Fault::TokenEndpointSlow(Duration::from_millis(300))));
    let started = Instant::now();
    let reply = exchange(&dev, code_grant(&code)).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn fault_token_endpoint_huge() {
    let dev = dev();
    let code = code(&dev).await;
    dev.set_fault(Some(Fault::TokenEndpointHuge));
    let reply = exchange(&dev, code_grant(&code)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.len() > HUGE_RESPONSE_BYTES);
    assert!(
        reply.json()["access_token"].is_string(),
        "still a token response"
    );
}

#[tokio::test]
async fn fault_token_endpoint_redirect() {
    let dev = dev();
    let code = code(&dev).await;
    dev.set_fault(Some(Fault::TokenEndpointRedirect));
    let reply = exchange(&dev, code_grant(&code)).await;
    assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT);
    let to = reply.location();
    assert_eq!(to.as_str(), format!("{ISSUER}/token?redirected=1"));
    // A client that follows the redirect gets tokens: that is what a test catches.
    let followed = exchange_at(
        &dev,
        &format!("{}?{}", to.path(), to.query().unwrap()),
        code_grant(&code),
    )
    .await;
    assert_eq!(followed.status, StatusCode::OK);
}

async fn exchange_at(dev: &DevProvider, uri: &str, body: String) -> Reply {
    send(dev, basic(uri, CLIENT_ID, CLIENT_SECRET, body)).await
}

#[tokio::test]
async fn fault_access_denied() {
    let dev = dev().with_fault(Fault::AccessDenied);
    let reply = send(
        &dev,
        get(&format!("/_dev/oauth/authorize?{}", auth_params(&[]))),
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let params = reply.redirect_params();
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], STATE);
    assert_eq!(params["iss"], ISSUER);
    assert_eq!(
        submit(&dev, "ada", &[]).await.redirect_params()["error"],
        "access_denied"
    );
}

#[tokio::test]
async fn a_fault_reaches_the_routes_of_the_client() {
    let dev = dev();
    let client = dev.client();
    dev.set_fault(Some(Fault::AccessDenied));
    let (_, routes) = client.provider_routes().unwrap();
    let request = get(&format!("/_dev/oauth/authorize?{}", auth_params(&[])));
    let response = routes.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

// --- The crate's own client against the provider, over loopback HTTP ----------------------------

/// Serves `dev`'s routes on a loopback port; the provider's base URL is that address.
async fn serve() -> (DevProvider, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dev = DevProvider::new(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    let app = dev.router();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (dev, server)
}

/// What the browser does: the client's authorization URL, the page, the form. Returns the
/// callback's parameters.
async fn browser_login(
    dev: &DevProvider,
    client: &crate::Client,
    redirect: &str,
) -> HashMap<String, String> {
    let url = client
        .authorize_url(redirect, STATE, VERIFIER, Some(NONCE), &[])
        .unwrap();
    let query = url.query().unwrap();
    let page = send(dev, get(&format!("{}?{query}", url.path()))).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let reply = send(dev, form(url.path(), format!("{query}&login=ada"))).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    reply.redirect_params()
}

#[tokio::test]
async fn the_crate_client_logs_in_refreshes_and_revokes() {
    let (dev, server) = serve().await;
    let client = dev.client();
    let redirect = format!("{}/redirect", dev.issuer().trim_end_matches("/_dev/oauth"));
    let params = browser_login(&dev, &client, &redirect).await;
    assert_eq!(params["iss"], dev.issuer());
    assert_eq!(params["state"], STATE);
    let (info, tokens) = client
        .exchange_code(&params["code"], &redirect, VERIFIER, Some(NONCE), None)
        .await
        .unwrap();
    assert!(info.ident.starts_with("dev-"));
    assert_eq!(info.email.as_deref(), Some("ada@example.com"));
    assert!(info.email_verified);
    assert_eq!(info.username.as_deref(), Some("ada"));
    let fresh = client.refresh(&tokens).await.unwrap();
    assert_ne!(fresh.access_token(), tokens.access_token());
    // The replayed refresh token revoked the grant; a fresh login's tokens die by revocation.
    assert!(matches!(
        client.refresh(&tokens).await,
        Err(crate::Error::InvalidGrant)
    ));
    let params = browser_login(&dev, &client, &redirect).await;
    let (_, tokens) = client
        .exchange_code(&params["code"], &redirect, VERIFIER, Some(NONCE), None)
        .await
        .unwrap();
    client.revoke(&tokens).await.unwrap();
    assert!(matches!(
        client.refresh(&tokens).await,
        Err(crate::Error::InvalidGrant)
    ));
    let access = tokens.access_token();
    assert_eq!(
        send(&dev, bearer("/_dev/oauth/userinfo", access))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    server.abort();
}

#[tokio::test]
async fn the_crate_client_refuses_every_id_token_and_response_fault() {
    let (dev, server) = serve().await;
    let client = dev.client();
    let redirect = format!("{}/redirect", dev.issuer().trim_end_matches("/_dev/oauth"));
    let mut accepted = Vec::new();
    for fault in [
        Fault::BadSignature,
        Fault::AlgNone,
        Fault::WrongAudience,
        Fault::WrongIssuer,
        Fault::ExpiredIdToken,
        Fault::WrongNonce,
        Fault::UnknownKid,
        Fault::MissingSub,
        Fault::MissingIat,
        Fault::UserinfoSubMismatch,
        Fault::TokenEndpoint500,
        Fault::TokenEndpointGarbage,
        Fault::TokenEndpointHuge,
        Fault::TokenEndpointRedirect,
    ] {
        dev.set_fault(None);
        let params = browser_login(&dev, &client, &redirect).await;
        dev.set_fault(Some(fault));
        let result = client
            .exchange_code(&params["code"], &redirect, VERIFIER, Some(NONCE), None)
            .await;
        match result {
            Ok(_) => accepted.push(fault),
            Err(error) => tracing::debug!(?fault, code = error.code(), "refused"),
        }
    }
    assert!(accepted.is_empty(), "the client accepted {accepted:?}");
    server.abort();
}
