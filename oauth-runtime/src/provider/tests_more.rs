//! Auth0, Apple, Entra ID and GitLab against fakes of themselves on 127.0.0.1, answering as each
//! provider's docs say. Only loopback traffic; the helpers are those of `tests.rs`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use p256::pkcs8::EncodePrivateKey as _;
use serde_json::{Value, json};

use super::tests::{
    Fake, ID, Key, NONCE, REDIRECT, SECRET, VERIFIER, assert_secret_in_basic,
    assert_secret_in_body, assert_token_request, bearer, jwks_route, now, oauth_error, start,
};
use super::*;
use crate::{Client, Error, Tokens};

type Form = axum::Form<HashMap<String, String>>;

// ---------------------------------------------------------------------------------------------
// Auth0

/// Auth0's discovery document (as `https://{domain}/.well-known/openid-configuration` answers),
/// token endpoint, `/userinfo` and JWKS. `logout`: whether RP-initiated logout is enabled.
fn auth0_routes(base: String, fake: Arc<Fake>, key: Arc<Key>, logout: bool) -> Router {
    let issuer = format!("{base}/");
    let mut document = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}authorize"),
        "token_endpoint": format!("{issuer}oauth/token"),
        "device_authorization_endpoint": format!("{issuer}oauth/device/code"),
        "userinfo_endpoint": format!("{issuer}userinfo"),
        "mfa_challenge_endpoint": format!("{issuer}mfa/challenge"),
        "jwks_uri": format!("{issuer}.well-known/jwks.json"),
        "registration_endpoint": format!("{issuer}oidc/register"),
        "revocation_endpoint": format!("{issuer}oauth/revoke"),
        "scopes_supported": ["openid", "profile", "offline_access", "name", "given_name", "family_name",
            "nickname", "email", "email_verified", "picture", "created_at", "identities", "phone", "address"],
        "response_types_supported": ["code", "token", "id_token", "code token", "code id_token",
            "token id_token", "code token id_token"],
        "code_challenge_methods_supported": ["S256", "plain"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["public"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "claims_supported": ["aud", "auth_time", "created_at", "email", "email_verified", "exp",
            "family_name", "given_name", "iat", "identities", "iss", "name", "nickname", "phone_number",
            "picture", "sub"],
        "request_uri_parameter_supported": false,
        "request_parameter_supported": false,
        "id_token_signing_alg_values_supported": ["HS256", "RS256", "PS256"],
    });
    if logout {
        document["end_session_endpoint"] = json!(format!("{issuer}oidc/logout"));
    }
    let token = {
        let (fake, key, issuer) = (fake.clone(), key.clone(), issuer.clone());
        post(move |axum::Form(form): Form| async move {
            if form.get("code").is_none_or(|c| c != "good-code") {
                return oauth_error(StatusCode::FORBIDDEN, "invalid_grant");
            }
            let id_token = fake.id_token.lock().unwrap().clone();
            let id_token = id_token.unwrap_or_else(|| {
                key.sign(&json!({
                    "iss": issuer, "aud": ID, "sub": "auth0|64f1c2d3e4a5b6c7d8e9f012", "nonce": NONCE,
                    "iat": now(), "exp": now() + 36000, "sid": "Yj1Pkk3fEJ4Gp4mD",
                    "nickname": "ada", "name": "ada@example.com", "email": "ada@example.com",
                    "email_verified": true, "updated_at": "2024-01-01T00:00:00.000Z",
                }))
            });
            Json(json!({
                "access_token": "eyJhbGciOiJkaXIi.auth0-access", "id_token": id_token,
                "scope": "openid profile email", "expires_in": 86400, "token_type": "Bearer",
            }))
            .into_response()
        })
    };
    let userinfo = get(|headers: HeaderMap| async move {
        if bearer(&headers) != Some("eyJhbGciOiJkaXIi.auth0-access") {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        Json(json!({
            "sub": "auth0|64f1c2d3e4a5b6c7d8e9f012", "nickname": "ada", "name": "Ada Lovelace",
            "picture": "https://s.gravatar.com/avatar/ada.png", "updated_at": "2024-01-01T00:00:00.000Z",
            "email": "ada@example.com", "email_verified": true,
        }))
        .into_response()
    });
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { Json(document) }),
        )
        .route("/oauth/token", token)
        .route("/userinfo", userinfo)
        .route("/.well-known/jwks.json", jwks_route(&fake))
}

async fn auth0(logout: bool) -> (Auth0AppClient, Arc<Fake>, Arc<Key>, String) {
    let key = Arc::new(Key::new("auth0-1"));
    let (base, fake) = start({
        let key = key.clone();
        move |base, fake| auth0_routes(base, fake, key, logout)
    })
    .await;
    fake.keys.lock().unwrap().push(key.jwk());
    let client = Auth0AppClient::discover(&base, ID, SECRET).await.unwrap();
    (client, fake, key, base)
}

#[tokio::test]
async fn auth0_discovery_keeps_the_trailing_slash_issuer_and_the_logout_endpoint() {
    let (client, fake, _, base) = auth0(true).await;
    let config = client.provider();
    assert_eq!(config.name, "auth0");
    assert_eq!(config.oidc.as_ref().unwrap().issuer, format!("{base}/"));
    assert_eq!(config.token_url.as_str(), format!("{base}/oauth/token"));
    assert_eq!(
        config.end_session_url.as_ref().unwrap().as_str(),
        format!("{base}/oidc/logout")
    );
    assert_eq!(
        config.revocation_url.as_ref().unwrap().as_str(),
        format!("{base}/oauth/revoke")
    );
    assert_eq!(config.auth_method, AuthMethod::Basic);
    assert_eq!(config.scopes, ["openid", "email", "profile"]);

    let (info, tokens) = client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .unwrap();
    assert_eq!(info.ident, "auth0|64f1c2d3e4a5b6c7d8e9f012");
    assert_eq!(info.provider, "auth0");
    assert_eq!(info.name.as_deref(), Some("Ada Lovelace"));
    assert!(info.email_verified);
    assert_eq!(tokens.scopes(), ["openid", "profile", "email"]);
    let seen = &fake.requests_to("/oauth/token")[0];
    assert_token_request(seen);
    assert_secret_in_basic(seen);
    assert_eq!(
        fake.requests_to("/.well-known/openid-configuration").len(),
        1
    );
}

#[tokio::test]
async fn auth0_id_token_without_the_trailing_slash_is_refused() {
    let (client, fake, key, base) = auth0(false).await;
    assert_eq!(client.provider().end_session_url, None, "not announced");
    fake.set_id_token(key.sign(&json!({
        "iss": base, "aud": ID, "sub": "auth0|64f1c2d3e4a5b6c7d8e9f012", "nonce": NONCE,
        "iat": now(), "exp": now() + 600,
    })));
    let error = client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::IdToken(why) if why == "wrong issuer"),
        "{error:?}"
    );
}

#[test]
fn auth0_domain_becomes_the_issuer_with_its_slash() {
    for domain in [
        "dev-abc123.us.auth0.com",
        "https://dev-abc123.us.auth0.com",
        "https://dev-abc123.us.auth0.com/",
        " dev-abc123.us.auth0.com ",
    ] {
        assert_eq!(
            auth0::issuer_of(domain).unwrap().as_str(),
            "https://dev-abc123.us.auth0.com/",
            "{domain}"
        );
    }
    for bad in [
        "http://dev-abc123.us.auth0.com",
        "dev-abc123.us.auth0.com/api",
        "dev-abc123.us.auth0.com?x=1",
        "user:pw@dev-abc123.us.auth0.com",
        "",
    ] {
        assert!(
            matches!(auth0::issuer_of(bad), Err(Error::Config(_))),
            "{bad}"
        );
    }
    let offline = Auth0AppClient::new("login.example.com", ID, SECRET).unwrap();
    let config = offline.provider();
    assert_eq!(
        config.auth_url.as_str(),
        "https://login.example.com/authorize"
    );
    assert_eq!(
        config.oidc.as_ref().unwrap().jwks_url.as_str(),
        "https://login.example.com/.well-known/jwks.json"
    );
    assert_eq!(
        config.userinfo_url.as_ref().unwrap().as_str(),
        "https://login.example.com/userinfo"
    );
}

// ---------------------------------------------------------------------------------------------
// Apple

const SERVICES_ID: &str = "com.example.web";
const TEAM_ID: &str = "TEAM123456";
const KEY_ID: &str = "KEY1234567";

/// The `.p8` text of a P-256 key, as Apple lets one download it.
fn p8(key: &Key) -> String {
    p256::SecretKey::from_bytes(&key.signing.to_bytes())
        .unwrap()
        .to_pkcs8_pem(Default::default())
        .unwrap()
        .to_string()
}

/// Checks a client secret as Apple does: ES256 signed by the registered key `kid`, issued by
/// the team for the Services ID, for Apple, valid at most six months. The claims, if good.
fn apple_check_secret(team_key: &Key, secret: &str) -> Option<Value> {
    let header = jsonwebtoken::decode_header(secret).ok()?;
    if header.alg != jsonwebtoken::Algorithm::ES256 || header.kid.as_deref() != Some(KEY_ID) {
        return None;
    }
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(team_key.jwk()).ok()?;
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).ok()?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&["https://appleid.apple.com"]);
    validation.set_issuer(&[TEAM_ID]);
    validation.sub = Some(SERVICES_ID.to_owned());
    validation.set_required_spec_claims(&["iss", "aud", "sub", "exp"]);
    let claims = jsonwebtoken::decode::<Value>(secret, &key, &validation)
        .ok()?
        .claims;
    let (iat, exp) = (claims["iat"].as_i64()?, claims["exp"].as_i64()?);
    ((now() - 60..=now()).contains(&iat) && exp > iat && exp - iat <= 15_777_000).then_some(claims)
}

/// Apple's `/auth/token` (code and refresh grants), `/auth/revoke` and `/auth/keys`; every
/// request's client secret is checked against `team_key`. `email_verified` is what the ID token
/// says.
fn apple_routes(
    base: String,
    fake: Arc<Fake>,
    key: Arc<Key>,
    team_key: Arc<Key>,
    email_verified: Value,
) -> Router {
    let token = {
        let (key, team_key) = (key.clone(), team_key.clone());
        post(move |axum::Form(form): Form| async move {
            let secret_ok = form.get("client_id").is_some_and(|id| id == SERVICES_ID)
                && form
                    .get("client_secret")
                    .and_then(|s| apple_check_secret(&team_key, s))
                    .is_some();
            if !secret_ok {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_client");
            }
            let id_token = |nonce: Option<&str>| {
                let mut claims = json!({
                    "iss": base, "aud": SERVICES_ID, "exp": now() + 600, "iat": now(),
                    "sub": "001234.0123456789abcdef0123456789abcdef.1234",
                    "c_hash": "k5wmqTUzMf3sPjOUQx5fJw", "email": "x7dgq2ke4r@privaterelay.appleid.com",
                    "email_verified": email_verified, "is_private_email": "true",
                    "auth_time": now(), "nonce_supported": true,
                });
                if let Some(nonce) = nonce {
                    claims["nonce"] = json!(nonce);
                }
                key.sign(&claims)
            };
            match (form["grant_type"].as_str(), form.get("code"), form.get("refresh_token")) {
                ("authorization_code", Some(code), _) if code == "good-code" => Json(json!({
                    "access_token": "a0f5b8.apple-access", "token_type": "Bearer", "expires_in": 3600,
                    "refresh_token": "r5e3c1.apple-refresh", "id_token": id_token(Some(NONCE)),
                }))
                .into_response(),
                ("refresh_token", _, Some(rt)) if rt == "r5e3c1.apple-refresh" => Json(json!({
                    "access_token": "a0f5b8.apple-fresh", "token_type": "Bearer", "expires_in": 3600,
                    "id_token": id_token(None),
                }))
                .into_response(),
                _ => oauth_error(StatusCode::BAD_REQUEST, "invalid_grant"),
            }
        })
    };
    let revoke = post(move |axum::Form(form): Form| async move {
        let secret_ok = form.get("client_id").is_some_and(|id| id == SERVICES_ID)
            && form
                .get("client_secret")
                .and_then(|s| apple_check_secret(&team_key, s))
                .is_some();
        if secret_ok && form.contains_key("token") {
            StatusCode::OK.into_response()
        } else {
            oauth_error(StatusCode::BAD_REQUEST, "invalid_client")
        }
    });
    Router::new()
        .route("/auth/token", token)
        .route("/auth/revoke", revoke)
        .route("/auth/keys", jwks_route(&fake))
}

/// A client signing with `client_key` against a fake that trusts `team_key`.
async fn apple_with(
    client_key: &Key,
    team_key: Arc<Key>,
    email_verified: Value,
) -> (AppleAppClient, Arc<Fake>) {
    let key = Arc::new(Key::new("apple-1"));
    let (base, fake) = start({
        let key = key.clone();
        move |base, fake| apple_routes(base, fake, key, team_key, email_verified)
    })
    .await;
    fake.keys.lock().unwrap().push(key.jwk());
    let client = AppleAppClient::new(SERVICES_ID, TEAM_ID, KEY_ID, &p8(client_key))
        .unwrap()
        .with_endpoints(&base)
        .unwrap();
    (client, fake)
}

async fn apple(email_verified: Value) -> (AppleAppClient, Arc<Fake>) {
    let team_key = Arc::new(Key::new(KEY_ID));
    let client_key = Key {
        signing: team_key.signing.clone(),
        kid: KEY_ID.to_owned(),
    };
    apple_with(&client_key, team_key, email_verified).await
}

#[tokio::test]
async fn apple_exchange_sends_a_client_secret_signed_with_the_team_key() {
    let (client, fake) = apple(json!("true")).await;
    let (info, tokens) = client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .unwrap();
    assert_eq!(info.ident, "001234.0123456789abcdef0123456789abcdef.1234");
    assert_eq!(info.provider, "apple");
    assert_eq!(
        info.email.as_deref(),
        Some("x7dgq2ke4r@privaterelay.appleid.com")
    );
    assert!(info.email_verified, "Apple's string \"true\"");
    assert_eq!(info.raw["is_private_email"], "true");
    assert_eq!(tokens.refresh_token(), Some("r5e3c1.apple-refresh"));

    let seen = &fake.requests_to("/auth/token")[0];
    assert_token_request(seen);
    assert_eq!(seen.form["client_id"], SERVICES_ID);
    assert!(seen.headers.get(header::AUTHORIZATION).is_none());
    let team_key = Key {
        signing: p256::ecdsa::SigningKey::from_slice(&[1; 32]).unwrap(),
        kid: KEY_ID.to_owned(),
    };
    assert!(
        apple_check_secret(&team_key, &seen.form["client_secret"]).is_none(),
        "the check itself refuses another key"
    );
    // The header and claims Apple documents, nothing else.
    let secret = &seen.form["client_secret"];
    let header = jsonwebtoken::decode_header(secret).unwrap();
    assert_eq!(header.typ, None);
    let claims = jsonwebtoken::dangerous::insecure_decode::<Value>(secret)
        .unwrap()
        .claims;
    let mut keys: Vec<_> = claims.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["aud", "exp", "iat", "iss", "sub"]);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
}

#[tokio::test]
async fn apple_email_verified_reads_strings_and_booleans() {
    for (flag, verified) in [
        (json!("true"), true),
        (json!(true), true),
        (json!("false"), false),
        (json!(false), false),
    ] {
        let (client, _) = apple(flag.clone()).await;
        let (info, _) = client
            .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
            .await
            .unwrap();
        assert_eq!(info.email_verified, verified, "{flag}");
    }
}

#[tokio::test]
async fn apple_refresh_and_revocation_carry_the_signed_secret() {
    let (client, fake) = apple(json!("true")).await;
    let old =
        Tokens::new("a0f5b8.apple-access").with_refresh_token(Some("r5e3c1.apple-refresh".into()));
    let fresh = client.refresh(&old).await.unwrap();
    assert_eq!(fresh.access_token(), "a0f5b8.apple-fresh");
    assert_eq!(fresh.refresh_token(), Some("r5e3c1.apple-refresh"));

    client.revoke(&old).await.unwrap();
    let seen = &fake.requests_to("/auth/revoke")[0];
    assert_eq!(seen.form["token"], "r5e3c1.apple-refresh");
    assert_eq!(seen.form["token_type_hint"], "refresh_token");
    assert_eq!(seen.form["client_id"], SERVICES_ID);
    // The same secret served both requests: it is cached, not minted per request.
    let token_secret = &fake.requests_to("/auth/token")[0].form["client_secret"];
    assert_eq!(&seen.form["client_secret"], token_secret);
}

#[tokio::test]
async fn apple_secret_signed_with_another_key_is_refused() {
    let team_key = Arc::new(Key::new(KEY_ID));
    let (client, _) = apple_with(&Key::new(KEY_ID), team_key, json!("true")).await;
    let error = client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::TokenExchange(code) if code == "invalid_client"),
        "{error:?}"
    );
}

#[test]
fn apple_asks_for_name_and_email_with_form_post() {
    let key = Key::new(KEY_ID);
    let client = AppleAppClient::new(SERVICES_ID, TEAM_ID, KEY_ID, &p8(&key)).unwrap();
    let url = client
        .authorize_url(
            "https://app.example/redirect",
            "the-state",
            VERIFIER,
            Some(NONCE),
            &[],
        )
        .unwrap();
    assert!(
        url.as_str()
            .starts_with("https://appleid.apple.com/auth/authorize?")
    );
    let q: HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["response_mode"], "form_post");
    assert_eq!(q["scope"], "name email");
    assert_eq!(q["client_id"], SERVICES_ID);
    assert_eq!(q["nonce"], NONCE);
    assert!(!q.contains_key("client_secret"));
}

#[test]
fn apple_bad_key_is_a_config_error_that_does_not_echo_it() {
    let key = Key::new(KEY_ID);
    let pem = p8(&key);
    let body = pem.lines().nth(1).unwrap().to_owned();
    let not_p256 = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n";
    for bad in [
        "",
        "not a key",
        &pem[..pem.len() / 2],
        not_p256,
        pem.replace(&body, &body.to_ascii_lowercase()).as_str(),
    ] {
        let error = AppleAppClient::new(SERVICES_ID, TEAM_ID, KEY_ID, bad).unwrap_err();
        assert!(matches!(error, Error::Config(_)), "{error:?}");
        assert!(!error.to_string().contains(&body));
        assert!(!format!("{error:?}").contains("MC4CAQ"));
    }
    let error = AppleAppClient::new(SERVICES_ID, " ", KEY_ID, &pem).unwrap_err();
    assert!(
        matches!(&error, Error::Config(m) if m.contains("team id")),
        "{error:?}"
    );
    // `\n` escapes, as `APPLE_PRIVATE_KEY` in a `.env` file has them, are the caller's to undo;
    // surrounding whitespace is not.
    assert!(AppleAppClient::new(SERVICES_ID, TEAM_ID, KEY_ID, &format!("\n  {pem}\n")).is_ok());
}

#[tokio::test]
async fn apple_debug_prints_neither_the_key_nor_the_secret() {
    let (client, fake) = apple(json!("true")).await;
    client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .unwrap();
    let secret = fake.requests_to("/auth/token")[0].form["client_secret"].clone();
    let text = format!("{client:?} {:?}", Client::from(client.clone()));
    assert!(text.contains(TEAM_ID) && text.contains(KEY_ID), "{text}");
    assert!(!text.contains(&secret));
    assert!(!text.contains("PRIVATE KEY"));
    assert!(
        !text.contains(&secret[..20]),
        "not even the secret's header"
    );
}

// ---------------------------------------------------------------------------------------------
// Microsoft Entra ID

const TENANT_A: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const TENANT_B: &str = "b9419818-09af-49c2-b0c3-653adc1f376e";
const PERSONAL: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

/// Entra ID's v2.0 token endpoint and keys, under any tenant segment.
fn entra_routes(fake: Arc<Fake>) -> Router {
    let token = {
        let fake = fake.clone();
        post(move |axum::Form(form): Form| async move {
            if form.get("code").is_none_or(|c| c != "good-code") {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            }
            let id_token = fake.id_token.lock().unwrap().clone();
            Json(json!({
                "token_type": "Bearer", "scope": "openid profile email", "expires_in": 3599,
                "ext_expires_in": 3599, "access_token": "eyJ0eXAiOiJKV1Qi.graph-access",
                "id_token": id_token,
            }))
            .into_response()
        })
    };
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", token)
        .route("/{tenant}/discovery/v2.0/keys", jwks_route(&fake))
}

/// An Entra ID v2.0 ID token's claims, issued by `iss_tenant`, naming `tid`.
fn entra_claims(base: &str, iss_tenant: &str, tid: &str) -> Value {
    json!({
        "ver": "2.0", "iss": format!("{base}/{iss_tenant}/v2.0"), "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
        "aud": ID, "exp": now() + 3600, "iat": now(), "nbf": now(), "name": "Abe Lincoln",
        "preferred_username": "AbeLi@microsoft.com", "oid": "00000000-0000-0000-66f3-3332eca7ea81",
        "email": "AbeLi@microsoft.com", "tid": tid, "nonce": NONCE, "aio": "Df2UVXL1ix!lMCWMSOJBcFatzcGfvFGhjKv8q5g0x732dR5MB5BisvGQO7YWByjd8iQDLq!eGbIDakyp5mnOrcdqHeYSnltepQmRp6AIZ8jY",
    })
}

async fn entra(tenant: &str, key: &Key) -> (EntraAppClient, Arc<Fake>, String) {
    let (base, fake) = start(|_, fake| entra_routes(fake)).await;
    fake.keys.lock().unwrap().push(key.jwk());
    let client = EntraAppClient::new(tenant, ID, SECRET)
        .unwrap()
        .with_endpoints(&base)
        .unwrap();
    (client, fake, base)
}

async fn entra_login(client: &EntraAppClient) -> Result<crate::UserInfo, Error> {
    client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .map(|(info, _)| info)
}

#[tokio::test]
async fn entra_common_accepts_a_token_whose_issuer_is_its_own_tenant() {
    let key = Key::new("entra-1");
    let (client, fake, base) = entra("common", &key).await;
    assert_eq!(
        client.provider().oidc.as_ref().unwrap().issuer,
        format!("{base}/{{tenantid}}/v2.0")
    );
    for tenant in [TENANT_A, TENANT_B, PERSONAL] {
        fake.set_id_token(key.sign(&entra_claims(&base, tenant, tenant)));
        let info = entra_login(&client).await.unwrap();
        assert_eq!(info.ident, "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ");
        assert_eq!(info.provider, "entra");
        assert_eq!(info.raw["tid"], tenant);
        assert_eq!(info.raw["oid"], "00000000-0000-0000-66f3-3332eca7ea81");
    }
    let seen = &fake.requests_to("/common/oauth2/v2.0/token")[0];
    assert_token_request(seen);
    assert_secret_in_body(seen);
    assert_eq!(fake.requests_to("/common/discovery/v2.0/keys").len(), 1);
}

#[tokio::test]
async fn entra_common_refuses_an_issuer_of_another_tenant_than_tid() {
    let key = Key::new("entra-1");
    let (client, fake, base) = entra("common", &key).await;
    let cases = [
        // Tenant B's issuer, tenant A's `tid`.
        entra_claims(&base, TENANT_B, TENANT_A),
        // The template itself, or a `tid` that is not a GUID.
        entra_claims(&base, "{tenantid}", TENANT_A),
        entra_claims(&base, "{tenantid}", "{tenantid}"),
        entra_claims(&base, "contoso.com", "contoso.com"),
        // Another host's issuer.
        {
            let mut c = entra_claims(&base, TENANT_A, TENANT_A);
            c["iss"] = json!(format!("https://evil.example/{TENANT_A}/v2.0"));
            c
        },
        // No `tid` at all.
        {
            let mut c = entra_claims(&base, TENANT_A, TENANT_A);
            c.as_object_mut().unwrap().remove("tid");
            c
        },
    ];
    for claims in cases {
        fake.set_id_token(key.sign(&claims));
        let error = entra_login(&client).await.unwrap_err();
        assert!(matches!(error, Error::IdToken(_)), "{claims}: {error:?}");
    }
}

#[tokio::test]
async fn entra_organizations_refuses_personal_accounts() {
    let key = Key::new("entra-1");
    let (client, fake, base) = entra("organizations", &key).await;
    fake.set_id_token(key.sign(&entra_claims(&base, TENANT_A, TENANT_A)));
    entra_login(&client).await.unwrap();
    fake.set_id_token(key.sign(&entra_claims(&base, PERSONAL, PERSONAL)));
    let error = entra_login(&client).await.unwrap_err();
    assert!(
        matches!(&error, Error::IdToken(why) if why.contains("tenant")),
        "{error:?}"
    );
}

#[tokio::test]
async fn entra_allowed_tenants_are_the_only_ones_let_in() {
    let key = Key::new("entra-1");
    let (client, fake, base) = entra("common", &key).await;
    let client = client
        .with_tenants([TENANT_A.to_ascii_uppercase()])
        .unwrap()
        .with_scopes(["openid", "profile", "email", "offline_access"]);
    fake.set_id_token(key.sign(&entra_claims(&base, TENANT_A, TENANT_A)));
    entra_login(&client).await.unwrap();
    for tenant in [TENANT_B, PERSONAL] {
        fake.set_id_token(key.sign(&entra_claims(&base, tenant, tenant)));
        let error = entra_login(&client).await.unwrap_err();
        assert!(
            matches!(&error, Error::IdToken(why) if why == "the user's tenant is not allowed"),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn entra_single_tenant_accepts_its_own_issuer_only() {
    let key = Key::new("entra-1");
    let (client, fake, base) = entra(TENANT_A, &key).await;
    assert_eq!(
        client.provider().oidc.as_ref().unwrap().issuer,
        format!("{base}/{TENANT_A}/v2.0")
    );
    fake.set_id_token(key.sign(&entra_claims(&base, TENANT_A, TENANT_A)));
    entra_login(&client).await.unwrap();
    fake.set_id_token(key.sign(&entra_claims(&base, TENANT_B, TENANT_B)));
    let error = entra_login(&client).await.unwrap_err();
    assert!(
        matches!(&error, Error::IdToken(why) if why == "wrong issuer"),
        "{error:?}"
    );
    assert_eq!(
        fake.requests_to(&format!("/{TENANT_A}/oauth2/v2.0/token"))
            .len(),
        2
    );
}

#[tokio::test]
async fn entra_email_is_verified_only_with_xms_edov() {
    let key = Key::new("entra-1");
    let (client, fake, base) = entra("consumers", &key).await;
    assert_eq!(
        client.provider().oidc.as_ref().unwrap().issuer,
        format!("{base}/{PERSONAL}/v2.0")
    );
    let mut claims = entra_claims(&base, PERSONAL, PERSONAL);
    // A claim Entra ID does not document for this: ignored.
    claims["email_verified"] = json!(true);
    fake.set_id_token(key.sign(&claims));
    let info = entra_login(&client).await.unwrap();
    assert_eq!(info.email.as_deref(), Some("AbeLi@microsoft.com"));
    assert!(!info.email_verified);

    for (edov, verified) in [
        (json!(true), true),
        (json!("true"), true),
        (json!(false), false),
        (json!(1), false),
    ] {
        let mut claims = entra_claims(&base, PERSONAL, PERSONAL);
        claims["xms_edov"] = edov.clone();
        fake.set_id_token(key.sign(&claims));
        let info = entra_login(&client).await.unwrap();
        assert_eq!(info.email_verified, verified, "{edov}");
    }
    let mut claims = entra_claims(&base, PERSONAL, PERSONAL);
    claims.as_object_mut().unwrap().remove("email");
    claims["xms_edov"] = json!(true);
    fake.set_id_token(key.sign(&claims));
    assert!(
        !entra_login(&client).await.unwrap().email_verified,
        "no email, nothing verified"
    );
}

#[test]
fn entra_tenants_are_checked() {
    for (tenant, normalised) in [
        ("common", "common"),
        ("Organizations", "organizations"),
        ("consumers", "consumers"),
        ("contoso.onmicrosoft.com", "contoso.onmicrosoft.com"),
        (
            "72F988BF-86F1-41AF-91AB-2D7CD011DB47",
            "72f988bf-86f1-41af-91ab-2d7cd011db47",
        ),
    ] {
        assert_eq!(
            EntraAppClient::new(tenant, ID, SECRET).unwrap().tenant(),
            normalised
        );
    }
    for bad in [
        "",
        "contoso",
        "../common",
        "common/oauth2",
        "72f988bf-86f1-41af-91ab",
        "a..b",
        "x y.com",
    ] {
        assert!(
            matches!(EntraAppClient::new(bad, ID, SECRET), Err(Error::Config(_))),
            "{bad}"
        );
    }
    assert!(matches!(
        EntraAppClient::new("common", ID, SECRET)
            .unwrap()
            .with_tenants(["contoso.com"]),
        Err(Error::Config(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// GitLab

/// GitLab's `/oauth/token`, `/oauth/userinfo`, `/oauth/discovery/keys` and `/oauth/revoke`,
/// under `/gitlab` as on a self-managed instance with a relative URL.
fn gitlab_routes(issuer: String, fake: Arc<Fake>, key: Arc<Key>, verified: bool) -> Router {
    let token = {
        let fake = fake.clone();
        post(move |axum::Form(form): Form| async move {
            if form.get("code").is_none_or(|c| c != "good-code") {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            }
            let id_token = fake.id_token.lock().unwrap().clone();
            let id_token = id_token.unwrap_or_else(|| {
                key.sign(&json!({
                    "iss": issuer, "sub": "1234567", "aud": ID, "exp": now() + 120, "iat": now(),
                    "auth_time": now(), "sub_legacy": "2bd8f5f5fa8c0fa8bc32e7dc77c1b6fe0e35d7e6d4a0f6c0c1d1c4e4b0f6e6c2",
                    "nonce": NONCE, "email": "ada@example.com", "email_verified": verified,
                }))
            });
            Json(json!({
                "access_token": "glpat-access", "token_type": "Bearer", "expires_in": 7200,
                "refresh_token": "glrt-refresh", "scope": "openid profile email",
                "created_at": now(), "id_token": id_token,
            }))
            .into_response()
        })
    };
    let userinfo = get(move |headers: HeaderMap| async move {
        if bearer(&headers) != Some("glpat-access") {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        Json(json!({
            "sub": "1234567", "sub_legacy": "2bd8f5f5fa8c0fa8bc32e7dc77c1b6fe0e35d7e6d4a0f6c0c1d1c4e4b0f6e6c2",
            "name": "Ada Lovelace", "nickname": "ada", "preferred_username": "ada",
            "email": "ada@example.com", "email_verified": verified, "website": "",
            "profile": "https://gitlab.example.com/ada", "picture": "https://gitlab.example.com/uploads/ada.png",
            "groups": ["analytical-engines"],
        }))
        .into_response()
    });
    let revoke = post(|axum::Form(form): Form| async move {
        // Doorkeeper's RFC 7009 endpoint: 200 for any token of an authenticated client.
        if form.get("client_secret").is_some_and(|s| s == SECRET) {
            StatusCode::OK.into_response()
        } else {
            oauth_error(StatusCode::FORBIDDEN, "unauthorized_client")
        }
    });
    Router::new().nest(
        "/gitlab",
        Router::new()
            .route("/oauth/token", token)
            .route("/oauth/userinfo", userinfo)
            .route("/oauth/discovery/keys", jwks_route(&fake))
            .route("/oauth/revoke", revoke),
    )
}

async fn gitlab(verified: bool) -> (GitLabAppClient, Arc<Fake>, String) {
    let key = Arc::new(Key::new("gitlab-1"));
    let (base, fake) = start({
        let key = key.clone();
        move |base, fake| gitlab_routes(format!("{base}/gitlab"), fake, key, verified)
    })
    .await;
    fake.keys.lock().unwrap().push(key.jwk());
    let instance = format!("{base}/gitlab/");
    let client = GitLabAppClient::new(ID, SECRET)
        .with_endpoints(&instance)
        .unwrap();
    (client, fake, format!("{base}/gitlab"))
}

#[tokio::test]
async fn gitlab_self_managed_login_reads_the_string_id_and_the_verified_email() {
    let (client, fake, instance) = gitlab(true).await;
    assert_eq!(client.provider().oidc.as_ref().unwrap().issuer, instance);
    let (info, tokens) = client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .unwrap();
    assert_eq!(info.ident, "1234567");
    assert_eq!(info.provider, "gitlab");
    assert_eq!(info.username.as_deref(), Some("ada"));
    assert!(info.email_verified);
    assert_eq!(info.raw["groups"][0], "analytical-engines");
    assert_eq!(tokens.refresh_token(), Some("glrt-refresh"));
    let seen = &fake.requests_to("/gitlab/oauth/token")[0];
    assert_token_request(seen);
    assert_secret_in_body(seen);
    assert_eq!(fake.requests_to("/gitlab/oauth/discovery/keys").len(), 1);

    client.revoke(&tokens).await.unwrap();
    let seen = &fake.requests_to("/gitlab/oauth/revoke")[0];
    assert_eq!(seen.form["token"], "glrt-refresh");
    assert_eq!(seen.form["client_id"], ID);
}

#[tokio::test]
async fn gitlab_unverified_email_stays_unverified() {
    let (client, _, _) = gitlab(false).await;
    let (info, _) = client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .unwrap();
    assert_eq!(info.email.as_deref(), Some("ada@example.com"));
    assert!(!info.email_verified);
}

#[tokio::test]
async fn gitlab_id_token_of_gitlab_com_is_refused_by_a_self_managed_client() {
    let key = Arc::new(Key::new("gitlab-1"));
    let (client, fake, _) = gitlab(true).await;
    fake.keys.lock().unwrap().push(key.jwk());
    fake.set_id_token(key.sign(&json!({
        "iss": "https://gitlab.com", "sub": "1234567", "aud": ID, "exp": now() + 120,
        "iat": now(), "nonce": NONCE,
    })));
    let error = client
        .exchange_code("good-code", REDIRECT, VERIFIER, Some(NONCE), None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::IdToken(_)), "{error:?}");
}

// ---------------------------------------------------------------------------------------------
// The real endpoints and the environment

#[test]
fn real_endpoints_of_the_new_providers() {
    let gitlab = GitLabAppClient::new(ID, SECRET);
    let config = gitlab.provider();
    assert_eq!(config.name, "gitlab");
    assert_eq!(
        config.auth_url.as_str(),
        "https://gitlab.com/oauth/authorize"
    );
    assert_eq!(
        config.userinfo_url.as_ref().unwrap().as_str(),
        "https://gitlab.com/oauth/userinfo"
    );
    assert_eq!(
        config.revocation_url.as_ref().unwrap().as_str(),
        "https://gitlab.com/oauth/revoke"
    );
    let oidc = config.oidc.as_ref().unwrap();
    assert_eq!(oidc.issuer, "https://gitlab.com");
    assert_eq!(
        oidc.jwks_url.as_str(),
        "https://gitlab.com/oauth/discovery/keys"
    );
    assert_eq!(config.scopes, ["openid", "profile", "email"]);

    let entra = EntraAppClient::new("contoso.onmicrosoft.com", ID, SECRET).unwrap();
    let config = entra.provider();
    assert_eq!(
        config.auth_url.as_str(),
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize"
    );
    assert_eq!(
        config.oidc.as_ref().unwrap().jwks_url.as_str(),
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/discovery/v2.0/keys"
    );
    assert_eq!(
        config.oidc.as_ref().unwrap().issuer,
        "https://login.microsoftonline.com/{tenantid}/v2.0"
    );
    assert_eq!(config.userinfo_url, None);
    assert_eq!(config.revocation_url, None);

    let key = Key::new(KEY_ID);
    let apple = AppleAppClient::new(SERVICES_ID, TEAM_ID, KEY_ID, &p8(&key)).unwrap();
    let config = apple.provider();
    assert_eq!(
        config.token_url.as_str(),
        "https://appleid.apple.com/auth/token"
    );
    assert_eq!(
        config.revocation_url.as_ref().unwrap().as_str(),
        "https://appleid.apple.com/auth/revoke"
    );
    assert_eq!(
        config.oidc.as_ref().unwrap().jwks_url.as_str(),
        "https://appleid.apple.com/auth/keys"
    );
    assert_eq!(
        config.oidc.as_ref().unwrap().issuer,
        "https://appleid.apple.com"
    );
    assert_eq!(config.userinfo_url, None);
    assert_eq!(config.auth_method, AuthMethod::Post);
}

#[tokio::test]
async fn client_from_env_knows_the_new_providers() {
    let error = client_from_env("myspace").await.unwrap_err();
    for key in ["gitlab", "auth0", "entra", "apple"] {
        assert!(error.to_string().contains(key), "{error}");
    }
    // Each name is dispatched: the error names its own variables, never "unknown provider".
    if std::env::var_os("APPLE_CLIENT_ID").is_none() {
        let error = client_from_env("apple").await.unwrap_err();
        assert!(error.to_string().contains("APPLE_CLIENT_ID"), "{error}");
    }
    if std::env::var_os("AUTH0_DOMAIN").is_none() {
        let error = client_from_env("auth0").await.unwrap_err();
        assert!(error.to_string().contains("AUTH0_DOMAIN"), "{error}");
    }
    if std::env::var_os("ENTRA_TENANT").is_none() {
        let error = client_from_env("entra").await.unwrap_err();
        assert!(error.to_string().contains("ENTRA_TENANT"), "{error}");
    }
}
