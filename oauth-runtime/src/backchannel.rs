//! OpenID Connect Back-Channel Logout 1.0: the provider posts a signed logout token to the app
//! when the user logs out there (or an administrator ends their session), and every session of
//! that provider session (`sid`), or of that user (`sub`) when the token names no session, ends:
//! on every instance that shares the store, within the Redis cache's lease.
//!
//! At login, the session is filed in the store's index under its issuer's `sid` and `sub` (hashed:
//! the keys say nothing about the user), and the keys are kept in the session, so that a logout
//! or an expiry slide finds its entries. The token's `jti` is marked used in the same store, so
//! that a replayed token is refused by every instance.

use std::sync::Arc;

use axum::body::Bytes;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};
use tower_sessions::Session;
use tower_sessions::session::Id;

use crate::schema::{LOGOUT_KEYS_KEY, STAMP_KEY, Stamp, unix_now};
use crate::state::{Backchannel, Core};
use crate::{Error, Tokens};

/// The default path of the back-channel logout endpoint.
pub(crate) const DEFAULT_PATH: &str = "/backchannel-logout";

/// An index key: what it indexes by, at which issuer, hashed.
fn key(kind: &str, issuer: &str, value: &str) -> String {
    let mut hash = Sha256::new();
    for part in [kind, issuer, value] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hex::encode(&hash.finalize()[..20])
}

fn claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
}

/// The keys a session with an ID token of these claims is filed under: its `sid` and its `sub`.
fn login_keys(claims: &Map<String, Value>) -> Vec<String> {
    let Some(issuer) = claim(claims, "iss") else {
        return Vec::new();
    };
    ["sid", "sub"]
        .into_iter()
        .filter_map(|kind| Some(key(kind, issuer, claim(claims, kind)?)))
        .collect()
}

/// Files the session that just logged in with `tokens` under its `sid` and `sub`. The session is
/// saved here, as its new id is known only then (the response saves it again, unchanged).
pub(crate) async fn index_login(
    core: &Core,
    session: &Session,
    tokens: &Tokens,
) -> Result<(), Error> {
    let Some(backchannel) = &core.backchannel else {
        return Ok(());
    };
    // The ID token was verified a moment ago, by the code exchange that returned it.
    let Some(claims) = tokens.id_token().and_then(crate::jwks::unverified_claims) else {
        return Ok(());
    };
    let keys = login_keys(&claims);
    if keys.is_empty() {
        return Ok(());
    }
    session.insert(LOGOUT_KEYS_KEY, keys.join(" ")).await?;
    session.save().await?;
    let id = session.id().ok_or(Error::SessionStore)?;
    let until = session.expiry_date().unix_timestamp() + 60;
    backchannel.index.index(&keys, id, until).await?;
    Ok(())
}

/// The session's index keys.
async fn keys_of(session: &Session) -> Result<Vec<String>, Error> {
    let keys: Option<String> = session.get(LOGOUT_KEYS_KEY).await?;
    Ok(keys
        .map(|keys| keys.split(' ').map(str::to_owned).collect())
        .unwrap_or_default())
}

/// Moves the session's index entries to its new expiry (the guard's expiry slide calls this).
pub(crate) async fn touch(core: &Core, session: &Session) -> Result<(), Error> {
    let (Some(backchannel), Some(id)) = (&core.backchannel, session.id()) else {
        return Ok(());
    };
    let keys = keys_of(session).await?;
    if !keys.is_empty() {
        let until = session.expiry_date().unix_timestamp() + 60;
        backchannel.index.index(&keys, id, until).await?;
    }
    Ok(())
}

/// Takes the session out of the index (a logout calls this before the session goes). A failure is
/// only logged: an entry left behind points at a session that is gone.
pub(crate) async fn forget(core: &Core, session: &Session) {
    let (Some(backchannel), Some(id)) = (&core.backchannel, session.id()) else {
        return;
    };
    let Ok(keys) = keys_of(session).await else {
        return;
    };
    if !keys.is_empty() && backchannel.index.unindex(&keys, id).await.is_err() {
        tracing::warn!("the logout index could not be cleaned; its entries end with the session");
    }
}

/// Why a logout request is refused: a fixed sentence for the `error_description`.
struct Refused(StatusCode, &'static str, String);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let Self(status, error, description) = self;
        tracing::warn!(error, description, "back-channel logout refused");
        let body = serde_json::json!({ "error": error, "error_description": description });
        (
            status,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body.to_string(),
        )
            .into_response()
    }
}

fn invalid(why: impl Into<String>) -> Refused {
    Refused(StatusCode::BAD_REQUEST, "invalid_request", why.into())
}

fn unavailable() -> Refused {
    Refused(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        "the session store did not answer; try again".into(),
    )
}

/// `POST` at the back-channel logout path: `200` once every session the token names has ended,
/// `400` with Back-Channel Logout 1.0's JSON error for a token that is not valid, `503` when the
/// store cannot be reached (the provider may retry).
pub(crate) async fn endpoint(core: Arc<Core>, body: Bytes) -> Response {
    match log_out(&core, &body).await {
        Ok(ended) => {
            tracing::info!(sessions = ended, "back-channel logout");
            (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response()
        }
        Err(refused) => refused.into_response(),
    }
}

async fn log_out(core: &Core, body: &[u8]) -> Result<usize, Refused> {
    let Some(backchannel) = &core.backchannel else {
        return Err(invalid("back-channel logout is off"));
    };
    let token = url::form_urlencoded::parse(body)
        .find(|(name, _)| name == "logout_token")
        .map(|(_, value)| value.into_owned())
        .ok_or_else(|| invalid("no logout_token"))?;
    let unverified = crate::jwks::unverified_claims(&token)
        .ok_or_else(|| invalid("the logout token is not a JWT"))?;
    let client = core
        .providers
        .iter()
        .map(|p| &p.client)
        .find(|client| client.may_have_issued(&unverified))
        .ok_or_else(|| invalid("the logout token is from no provider of this app"))?;
    let claims = client
        .verify_logout_token(&token)
        .await
        .map_err(|error| match error {
            Error::IdToken(why) => invalid(format!("the logout token is not valid: {why}")),
            Error::Network(_) => Refused(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the provider's keys could not be fetched; try again".into(),
            ),
            other => invalid(format!("the logout token is not valid: {}", other.code())),
        })?;
    // Verified: `iss`, `iat` and `jti` are there.
    let issuer = claim(&claims, "iss").unwrap_or_default();
    let jti = key("jti", issuer, claim(&claims, "jti").unwrap_or_default());
    let until = i64::try_from(crate::jwks::LOGOUT_TOKEN_MAX_AGE).unwrap_or(600) * 2 + unix_now();
    match backchannel.index.first_use(&jti, until).await {
        Ok(true) => {}
        Ok(false) => return Err(invalid("the logout token was already used")),
        Err(_) => return Err(unavailable()),
    }
    // A token with a `sid` ends that provider session; one with only a `sub`, all of the user's.
    let wanted = match claim(&claims, "sid") {
        Some(sid) => key("sid", issuer, sid),
        None => key("sub", issuer, claim(&claims, "sub").unwrap_or_default()),
    };
    let sessions = backchannel
        .index
        .indexed(&wanted)
        .await
        .map_err(|_| unavailable())?;
    let mut ended = 0;
    for id in sessions {
        if end(core, backchannel, id)
            .await
            .map_err(|_| unavailable())?
        {
            ended += 1;
        }
    }
    Ok(ended)
}

/// Ends session `id` (its token record, the session, its index entries); whether it was there.
async fn end(core: &Core, backchannel: &Backchannel, id: Id) -> Result<bool, Error> {
    let Some(record) = core.store.load(&id).await? else {
        return Ok(false);
    };
    let stamp = record
        .data
        .get(STAMP_KEY)
        .and_then(Value::as_str)
        .and_then(Stamp::decode);
    if let Some(Ok(tokens)) = stamp.and_then(|s| s.tokens).map(|h| h.record_id()) {
        core.store.delete(&tokens).await?;
    }
    core.store.delete(&id).await?;
    let keys: Vec<String> = record
        .data
        .get(LOGOUT_KEYS_KEY)
        .and_then(Value::as_str)
        .map(|keys| keys.split(' ').map(str::to_owned).collect())
        .unwrap_or_default();
    if !keys.is_empty() {
        backchannel.index.unindex(&keys, id).await?;
    }
    core.audit.record(crate::audit::AuditEvent::Logout {
        kind: crate::audit::LogoutKind::BackChannel,
        ident: record
            .data
            .get(crate::schema::AUTH_KEY)
            .and_then(Value::as_str)
            .map(str::to_owned),
    });
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_is_filed_under_its_sid_and_sub_at_its_issuer() {
        let claims = |json: Value| json.as_object().cloned().unwrap();
        let both = login_keys(&claims(
            serde_json::json!({"iss": "https://a", "sub": "u", "sid": "s"}),
        ));
        assert_eq!(
            both,
            [key("sid", "https://a", "s"), key("sub", "https://a", "u")]
        );
        assert_eq!(both[0].len(), 40);
        let other_issuer = login_keys(&claims(serde_json::json!({"iss": "https://b", "sub": "u"})));
        assert_eq!(other_issuer, [key("sub", "https://b", "u")]);
        assert_ne!(other_issuer[0], both[1], "the issuer is part of the key");
        assert_ne!(key("sid", "i", "x"), key("sub", "i", "x"), "so is the kind");
        assert_ne!(
            key("sid", "ab", "c"),
            key("sid", "a", "bc"),
            "parts are separated"
        );
        assert!(login_keys(&claims(serde_json::json!({"sub": "u"}))).is_empty());
    }
}
