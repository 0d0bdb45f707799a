//! The token endpoint (RFC 6749 §3.2, §4.1.3, §6) and the revocation endpoint (RFC 7009).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::authorize::is_pkce_value;
use super::params::Params;
use super::store::{ACCESS_TTL, Grant, Refused};
use super::{CLIENT_ID, CLIENT_SECRET, Fault, HUGE_RESPONSE_BYTES, Inner, keys, lock, unix_now};

/// An error response of RFC 6749 §5.2.
#[derive(Debug, PartialEq, Eq)]
enum TokenError {
    /// `invalid_request` (400).
    Request(&'static str),
    /// `invalid_client` (401): unknown client, wrong secret or no client authentication.
    Client,
    /// `invalid_grant` (400).
    Grant(&'static str),
    /// `unsupported_grant_type` (400).
    GrantType,
    /// `server_error` (500).
    Server,
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let (status, error, description) = match self {
            Self::Request(why) => (StatusCode::BAD_REQUEST, "invalid_request", why),
            Self::Client => (
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication failed",
            ),
            Self::Grant(why) => (StatusCode::BAD_REQUEST, "invalid_grant", why),
            Self::GrantType => (
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "use authorization_code or refresh_token",
            ),
            Self::Server => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the ID token could not be signed",
            ),
        };
        let mut response = json_response(
            status,
            &json!({ "error": error, "error_description": description }),
        );
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"_dev/oauth\""),
            );
        }
        response
    }
}

/// A JSON answer that no cache keeps (RFC 6749 §5.1).
fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// `POST /token`, bent by the token-endpoint faults.
#[tracing::instrument(skip_all)]
pub(super) async fn token(
    State(dev): State<Arc<Inner>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fault = dev.fault();
    if let Some(Fault::TokenEndpointSlow(delay)) = fault {
        tokio::time::sleep(delay).await;
    }
    match fault {
        Some(Fault::TokenEndpoint500) => {
            let body = "<!doctype html><h1>Internal Server Error</h1><script>alert('raw provider body')</script>";
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/html")],
                body,
            )
                .into_response();
        }
        Some(Fault::TokenEndpointGarbage) => {
            let body = "<html>this is not a token response</html>";
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response();
        }
        Some(Fault::TokenEndpointRedirect) => {
            let redirected = Params::parse(query.unwrap_or_default().as_bytes())
                .is_ok_and(|p| p.get("redirected").is_some());
            if !redirected {
                let mut to = dev.endpoints.token.clone();
                to.set_query(Some("redirected=1"));
                return match HeaderValue::try_from(to.as_str()) {
                    Ok(location) => (
                        StatusCode::TEMPORARY_REDIRECT,
                        [(header::LOCATION, location)],
                    )
                        .into_response(),
                    Err(_) => TokenError::Server.into_response(),
                };
            }
        }
        _ => {}
    }
    match exchange(&dev, &headers, &body, fault) {
        Ok(mut answer) => {
            if fault == Some(Fault::TokenEndpointHuge) {
                answer.insert("padding".into(), json!("x".repeat(HUGE_RESPONSE_BYTES)));
            }
            json_response(StatusCode::OK, &Value::Object(answer))
        }
        Err(error) => error.into_response(),
    }
}

/// The token request proper: client authentication, then the grant.
fn exchange(
    dev: &Inner,
    headers: &HeaderMap,
    body: &[u8],
    fault: Option<Fault>,
) -> Result<Map<String, Value>, TokenError> {
    require_form(headers)?;
    let params = Params::parse(body).map_err(TokenError::Request)?;
    let client_id = authenticate(headers, &params)?;
    match params.get("grant_type") {
        Some("authorization_code") => {
            let code = params
                .get("code")
                .ok_or(TokenError::Request("code is required"))?;
            let redirect_uri = params
                .get("redirect_uri")
                .ok_or(TokenError::Request("redirect_uri is required"))?;
            // Redeeming consumes the code whatever happens next: a failed attempt burns it.
            let pending = lock(&dev.store)
                .redeem_code(code)
                .map_err(|refused| match refused {
                    Refused::Unknown => TokenError::Grant("the code is unknown or expired"),
                    Refused::Replayed => {
                        TokenError::Grant("the code was already used; its tokens are revoked")
                    }
                })?;
            if pending.grant.client_id != client_id {
                return Err(TokenError::Grant("the code was issued to another client"));
            }
            if pending.redirect_uri != redirect_uri {
                return Err(TokenError::Grant(
                    "redirect_uri differs from the authorization request's",
                ));
            }
            let verifier = params
                .get("code_verifier")
                .ok_or(TokenError::Grant("code_verifier is required (PKCE)"))?;
            if !is_pkce_value(verifier) || s256(verifier) != pending.code_challenge {
                return Err(TokenError::Grant("PKCE verification failed"));
            }
            answer(dev, &pending.grant, pending.nonce.as_deref(), fault)
        }
        Some("refresh_token") => {
            let token = params
                .get("refresh_token")
                .ok_or(TokenError::Request("refresh_token is required"))?;
            let grant =
                lock(&dev.store)
                    .redeem_refresh(token)
                    .map_err(|refused| match refused {
                        Refused::Unknown => {
                            TokenError::Grant("the refresh token is unknown, expired or revoked")
                        }
                        Refused::Replayed => TokenError::Grant(
                            "the refresh token was already used; its tokens are revoked",
                        ),
                    })?;
            if grant.client_id != client_id {
                return Err(TokenError::Grant(
                    "the refresh token was issued to another client",
                ));
            }
            answer(dev, &grant, None, fault)
        }
        None => Err(TokenError::Request("grant_type is required")),
        Some(_) => Err(TokenError::GrantType),
    }
}

/// The token response (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3). A refreshed ID token has no
/// `nonce` (OpenID Connect Core §12.2).
fn answer(
    dev: &Inner,
    grant: &Arc<Grant>,
    nonce: Option<&str>,
    fault: Option<Fault>,
) -> Result<Map<String, Value>, TokenError> {
    let id_token = if grant.scope.contains(&"openid") {
        let now = unix_now();
        let mut claims = grant.user.claims(&grant.scope);
        claims.insert("iss".into(), json!(dev.issuer));
        claims.insert("aud".into(), json!(grant.client_id));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + ACCESS_TTL.as_secs()));
        claims.insert("auth_time".into(), json!(grant.auth_time));
        claims.insert("acr".into(), json!(grant.acr));
        claims.insert("sid".into(), json!(grant.sid));
        if let Some(nonce) = nonce {
            claims.insert("nonce".into(), json!(nonce));
        }
        let key = lock(&dev.keys).current();
        Some(keys::sign_id_token(&key, claims, fault).ok_or(TokenError::Server)?)
    } else {
        None
    };
    let pair = lock(&dev.store).issue(grant.clone());
    let mut answer = Map::new();
    answer.insert("access_token".into(), json!(pair.access_token));
    answer.insert("token_type".into(), json!("Bearer"));
    answer.insert("expires_in".into(), json!(ACCESS_TTL.as_secs()));
    answer.insert("refresh_token".into(), json!(pair.refresh_token));
    answer.insert("scope".into(), json!(grant.scope.join(" ")));
    if let Some(id_token) = id_token {
        answer.insert("id_token".into(), json!(id_token));
    }
    Ok(answer)
}

/// The PKCE S256 transform: `BASE64URL(SHA256(verifier))`.
fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Token and revocation requests are forms (RFC 6749 §4.1.3, RFC 7009 §2.1).
fn require_form(headers: &HeaderMap) -> Result<(), TokenError> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if is_form {
        Ok(())
    } else {
        Err(TokenError::Request(
            "send application/x-www-form-urlencoded",
        ))
    }
}

/// Client authentication (RFC 6749 §2.3.1): HTTP Basic or `client_id` + `client_secret` in the
/// body, exactly one of them. Returns the client id.
fn authenticate(headers: &HeaderMap, params: &Params) -> Result<String, TokenError> {
    let basic = match headers.get(header::AUTHORIZATION) {
        Some(value) => Some(parse_basic(value).ok_or(TokenError::Client)?),
        None => None,
    };
    let (id, secret) = match (basic, params.get("client_secret")) {
        (Some(_), Some(_)) => {
            return Err(TokenError::Request(
                "use one client authentication method, not two",
            ));
        }
        (Some((id, secret)), None) => {
            if params.get("client_id").is_some_and(|body_id| body_id != id) {
                return Err(TokenError::Request(
                    "client_id differs from the Authorization header's",
                ));
            }
            (id, secret)
        }
        (None, Some(secret)) => (
            params
                .get("client_id")
                .ok_or(TokenError::Client)?
                .to_owned(),
            secret.to_owned(),
        ),
        (None, None) => return Err(TokenError::Client),
    };
    if id == CLIENT_ID && same_secret(&secret, CLIENT_SECRET) {
        Ok(id)
    } else {
        Err(TokenError::Client)
    }
}

/// `Basic base64(urlencode(id):urlencode(secret))`.
fn parse_basic(value: &HeaderValue) -> Option<(String, String)> {
    let (scheme, encoded) = value.to_str().ok()?.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id), form_decode(secret)))
}

/// Undoes `application/x-www-form-urlencoded` encoding of one value.
fn form_decode(value: &str) -> String {
    let escaped = value.replace('&', "%26").replace('=', "%3D");
    url::form_urlencoded::parse(escaped.as_bytes())
        .next()
        .map(|(v, _)| v.into_owned())
        .unwrap_or_default()
}

/// Compares without stopping at the first difference.
fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// `POST /revoke` (RFC 7009): `200` for any token, known or not, once the client authenticated.
#[tracing::instrument(skip_all)]
pub(super) async fn revoke(
    State(dev): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let revoked = require_form(&headers)
        .and_then(|()| Params::parse(&body).map_err(TokenError::Request))
        .and_then(|params| {
            authenticate(&headers, &params)?;
            let token = params
                .get("token")
                .ok_or(TokenError::Request("token is required"))?;
            lock(&dev.store).revoke(token);
            Ok(())
        });
    match revoked {
        Ok(()) => (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response(),
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let value = HeaderValue::from_str(&format!("Basic {}", STANDARD.encode("a%3Ab+c:s%26t==")))
            .unwrap();
        assert_eq!(parse_basic(&value), Some(("a:b c".into(), "s&t==".into())));
        assert_eq!(parse_basic(&HeaderValue::from_static("Bearer x")), None);
        assert_eq!(parse_basic(&HeaderValue::from_static("Basic !!!")), None);
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret("dev-secret", "dev-secret"));
        assert!(!same_secret("dev-secreT", "dev-secret"));
        assert!(!same_secret("dev", "dev-secret"));
    }
}
