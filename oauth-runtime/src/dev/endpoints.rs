//! Discovery, JWKS, user info and RP-initiated logout.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::{Value, json};
use url::Url;

use super::params::Params;
use super::{CLIENT_ID, Fault, Inner, SCOPES, lock, page};

fn json_response(cache_control: &'static str, body: &Value) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, cache_control),
        ],
        body.to_string(),
    )
        .into_response()
}

/// `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §3, RFC 8414).
pub(super) async fn discovery(State(dev): State<Arc<Inner>>) -> Response {
    let ep = &dev.endpoints;
    let body = json!({
        "issuer": dev.issuer,
        "authorization_endpoint": ep.authorize.as_str(),
        "token_endpoint": ep.token.as_str(),
        "userinfo_endpoint": ep.userinfo.as_str(),
        "jwks_uri": ep.jwks.as_str(),
        "revocation_endpoint": ep.revoke.as_str(),
        "end_session_endpoint": ep.logout.as_str(),
        "scopes_supported": SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [lock(&dev.keys).alg().name()],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "acr", "nonce", "sid",
            "email", "email_verified", "name", "preferred_username",
        ],
        "acr_values_supported": super::authorize::ACRS,
        "authorization_response_iss_parameter_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    });
    json_response("no-cache", &body)
}

/// `GET /jwks`: the published public keys.
pub(super) async fn jwks(State(dev): State<Arc<Inner>>) -> Response {
    let body = lock(&dev.keys).jwks();
    json_response("no-cache", &body)
}

/// `401` with the `WWW-Authenticate` challenge of RFC 6750 §3.
fn bearer_challenge(status: StatusCode, challenge: &'static str) -> Response {
    (
        status,
        [(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        )],
    )
        .into_response()
}

/// `GET` or `POST /userinfo` with `Authorization: Bearer <access token>`.
#[tracing::instrument(skip_all)]
pub(super) async fn userinfo(State(dev): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return bearer_challenge(StatusCode::UNAUTHORIZED, "Bearer realm=\"_dev/oauth\"");
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let Some(token) = token else {
        return bearer_challenge(StatusCode::BAD_REQUEST, "Bearer error=\"invalid_request\"");
    };
    let Some(grant) = lock(&dev.store).access(token) else {
        return bearer_challenge(StatusCode::UNAUTHORIZED, "Bearer error=\"invalid_token\"");
    };
    let mut claims = grant.user.claims(&grant.scope);
    if dev.fault() == Some(Fault::UserinfoSubMismatch) {
        claims.insert("sub".into(), json!("dev-someone-else"));
    }
    json_response("no-store", &Value::Object(claims))
}

/// `GET /logout` (OpenID Connect RP-Initiated Logout 1.0).
#[tracing::instrument(skip_all)]
pub(super) async fn logout(State(dev): State<Arc<Inner>>, RawQuery(query): RawQuery) -> Response {
    end_session(&dev, Params::parse(query.unwrap_or_default().as_bytes()))
}

/// `POST /logout`: the same, with the parameters in a form.
#[tracing::instrument(skip_all)]
pub(super) async fn logout_form(State(dev): State<Arc<Inner>>, body: Bytes) -> Response {
    end_session(&dev, Params::parse(&body))
}

/// There is no provider session to end (every login asks): this only sends the browser on.
/// It redirects to `post_logout_redirect_uri` when that is on the app's own origin or comes with
/// an `id_token_hint` issued here, so that the endpoint is no open redirector; otherwise it shows
/// a page with a link.
fn end_session(dev: &Inner, params: Result<Params, &'static str>) -> Response {
    let params = match params {
        Ok(params) => params,
        Err(why) => return page::error(why),
    };
    let hinted = params
        .get("id_token_hint")
        .is_some_and(|hint| lock(&dev.keys).issued_here(hint, &dev.issuer, CLIENT_ID));
    let Some(to) = params.get("post_logout_redirect_uri") else {
        return page::logged_out(None);
    };
    let Some(mut to) = Url::parse(to).ok().filter(|u| {
        matches!(u.scheme(), "http" | "https") && u.fragment().is_none() && u.username().is_empty()
    }) else {
        return page::error("the post_logout_redirect_uri must be an absolute http or https URL");
    };
    if !hinted && to.origin() != dev.endpoints.token.origin() {
        return page::logged_out(Some(to.as_str()));
    }
    match (params.get("state"), dev.fault()) {
        (_, Some(Fault::EndSessionWithoutState)) | (None, _) => {}
        (Some(_), Some(Fault::EndSessionOtherState)) => {
            to.query_pairs_mut()
                .append_pair("state", &super::random_token());
        }
        (Some(state), _) => {
            to.query_pairs_mut().append_pair("state", state);
        }
    }
    match HeaderValue::try_from(to.as_str()) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => page::logged_out(None),
    }
}
