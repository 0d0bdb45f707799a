//! The session schema: the keys the library writes into a session, the [`Stamp`] beside the
//! identity, the [`Handle`] of the token record, and the clock they are measured with. Shared by
//! the guard, the flow, the token vault and the stores, which otherwise know nothing of each other.

use tower_sessions::session::Id;

use crate::Error;

/// The ident stored under [`AUTH_KEY`]: the user `id` at the provider named `provider`,
/// `provider:id` (so the same id at two providers is two users).
pub(crate) fn qualified_ident(provider: &str, id: &str) -> String {
    format!("{provider}:{id}")
}

/// The session key of the logged-in user's ident (FastHTML's `session['auth']`), qualified by
/// its provider: `provider:id` (see [`Ident`](crate::Ident)).
///
/// ```
/// use axum_oauth_login::{Session, manual::AUTH_KEY};
/// async fn who(session: Session) -> String {
///     let auth: Option<String> = session.get(AUTH_KEY).await.ok().flatten();
///     auth.unwrap_or_else(|| "nobody".into())
/// }
/// ```
pub const AUTH_KEY: &str = "auth";

/// The session key of the library's [`Stamp`].
pub(crate) const STAMP_KEY: &str = "oauth";
/// The session key of the session's back-channel logout index keys (space-separated).
pub(crate) const LOGOUT_KEYS_KEY: &str = "oauth_logout";
/// The session key of how the user logged in (`acr`, `auth_time`; see `stepup::Authn`).
pub(crate) const AUTHN_KEY: &str = "oauth_authn";
/// The key of the tokens inside their record.
pub(crate) const RECORD_KEY: &str = "tokens";

/// Whether a stored record is a logged-in session (it has the library's [`Stamp`]) rather than a
/// token record or a login in progress: the records read on every request.
#[cfg(feature = "redis")]
pub(crate) fn is_logged_in_session(record: &tower_sessions::session::Record) -> bool {
    record.data.contains_key(STAMP_KEY) && !record.data.contains_key(RECORD_KEY)
}

/// What the library keeps in a logged-in session beside `auth`: when the guard last extended the
/// session, and where the tokens are.
///
/// The guard reads it on every request, so it is one compact string, `"<seen>"` or
/// `"<seen> <record id> <provider>"`: one key, one small allocation to load, and the timestamp is
/// read without decoding the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stamp {
    /// Unix time of the last expiry slide (or of the login).
    pub(crate) seen: i64,
    /// The token record, unless tokens are not kept.
    pub(crate) tokens: Option<Handle>,
}

impl Stamp {
    /// The `seen` timestamp of an encoded stamp, without decoding the rest.
    pub(crate) fn seen_of(text: &str) -> Option<i64> {
        text.split_once(' ')
            .map_or(text, |(seen, _)| seen)
            .parse()
            .ok()
    }

    pub(crate) fn encode(&self) -> String {
        match &self.tokens {
            Some(Handle { id, provider }) => format!("{} {id} {provider}", self.seen),
            None => self.seen.to_string(),
        }
    }

    pub(crate) fn decode(text: &str) -> Option<Self> {
        let tokens = text
            .split_once(' ')
            .and_then(|(_, rest)| rest.split_once(' '))
            .map(|(id, provider)| Handle {
                id: id.to_owned(),
                provider: provider.to_owned(),
            });
        Some(Self {
            seen: Self::seen_of(text)?,
            tokens,
        })
    }
}

/// Where a user's tokens are: their record's id, and the provider that issued them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Handle {
    pub(crate) id: String,
    pub(crate) provider: String,
}

impl Handle {
    pub(crate) fn record_id(&self) -> Result<Id, Error> {
        self.id.parse().map_err(|_| Error::NoTokens)
    }
}

/// Seconds since 1970 (cheaper than `time::OffsetDateTime::now_utc`, on every request).
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
