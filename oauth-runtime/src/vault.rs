//! The logged-in user's tokens: in the session store, beside the session, in a record of their
//! own. The session holds only a small handle under [`TOKENS_KEY`].
//!
//! Two reasons not to keep the tokens in the session itself:
//!
//! - The guard loads the session on every request. Tokens are large (an ID token alone is most of
//!   a kilobyte, Entra's access tokens more) and only a few handlers need them.
//! - Concurrent requests of one session each hold their own copy of the session and save it when
//!   they change it: a request that started before a refresh would write the old tokens back, and
//!   a rotated refresh token would be lost. The token record is written only by refreshes, which
//!   run one at a time per session ([`refresh`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use tower_sessions::session::{Id, Record};

use crate::install::Core;
use crate::{Client, Error, Tokens};

/// The session key of the handle to the user's tokens.
pub(crate) const TOKENS_KEY: &str = "oauth.tokens";
/// The key of the tokens inside their record.
const RECORD_KEY: &str = "tokens";

/// What the session holds: where the tokens are, and which provider issued them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Handle {
    id: String,
    pub(crate) provider: String,
}

impl Handle {
    fn record_id(&self) -> Result<Id, Error> {
        self.id.parse().map_err(|_| Error::NoTokens)
    }
}

/// Refreshes in progress, one lock per token record (single flight within this process).
#[derive(Debug, Default)]
pub(crate) struct Flights(Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>);

impl Flights {
    fn lock_for(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(lock) = map.get(id).and_then(Weak::upgrade) {
            return lock;
        }
        map.retain(|_, lock| lock.strong_count() > 0);
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        map.insert(id.to_owned(), Arc::downgrade(&lock));
        lock
    }
}

fn expiry_date(core: &Core) -> time::OffsetDateTime {
    let now = time::OffsetDateTime::now_utc();
    match core.expiry {
        tower_sessions::Expiry::AtDateTime(at) => at,
        tower_sessions::Expiry::OnInactivity(window) => now + window,
        // The session ends with the browser; the record must outlive any such session.
        tower_sessions::Expiry::OnSessionEnd => now + time::Duration::days(14),
    }
}

fn record(core: &Core, id: Id, tokens: &Tokens) -> Result<Record, Error> {
    let value = serde_json::to_value(tokens).map_err(|_| Error::SessionStore)?;
    Ok(Record {
        id,
        data: HashMap::from([(RECORD_KEY.to_owned(), value)]),
        expiry_date: expiry_date(core),
    })
}

/// Stores the tokens of a new login and puts their handle in the session.
pub(crate) async fn put(
    core: &Core,
    session: &Session,
    provider: &str,
    tokens: &Tokens,
) -> Result<(), Error> {
    let mut record = record(core, Id::default(), tokens)?;
    core.store.create(&mut record).await?;
    let handle = Handle {
        id: record.id.to_string(),
        provider: provider.to_owned(),
    };
    session.insert(TOKENS_KEY, handle).await?;
    Ok(())
}

/// The handle in the session, if the user has tokens.
pub(crate) async fn handle(session: &Session) -> Result<Option<Handle>, Error> {
    Ok(session.get(TOKENS_KEY).await?)
}

/// The tokens behind `handle`, as the store has them now.
pub(crate) async fn load(core: &Core, handle: &Handle) -> Result<Option<Tokens>, Error> {
    let Some(record) = core.store.load(&handle.record_id()?).await? else {
        return Ok(None);
    };
    Ok(record
        .data
        .get(RECORD_KEY)
        .and_then(|value| serde_json::from_value(value.clone()).ok()))
}

/// The tokens of this session and the client of the provider that issued them.
pub(crate) async fn get(core: &Core, session: &Session) -> Result<(Handle, Tokens), Error> {
    let handle = handle(session).await?.ok_or(Error::NoTokens)?;
    let tokens = load(core, &handle).await?.ok_or(Error::NoTokens)?;
    Ok((handle, tokens))
}

/// The client of the provider that issued the tokens behind `handle`.
pub(crate) fn client<'a>(core: &'a Core, handle: &Handle) -> Result<&'a Client, Error> {
    core.provider(&handle.provider)
        .map(|p| &p.client)
        .ok_or(Error::NoTokens)
}

/// Refreshes the tokens `seen` at the provider, once at a time per session: a caller that waited
/// for another caller's refresh gets its result instead of refreshing again. Rotated refresh
/// tokens are kept.
///
/// Across instances, a refresh that loses the race gets `invalid_grant` from a provider that
/// rotates refresh tokens; the record is then read again, and the winner's tokens returned.
pub(crate) async fn refresh(core: &Core, handle: &Handle, seen: &Tokens) -> Result<Tokens, Error> {
    let lock = core.flights.lock_for(&handle.id);
    let _flight = lock.lock().await;
    let current = load(core, handle).await?.ok_or(Error::NoTokens)?;
    if current != *seen {
        return Ok(current);
    }
    match client(core, handle)?.refresh(&current).await {
        Ok(fresh) => {
            core.store
                .save(&record(core, handle.record_id()?, &fresh)?)
                .await?;
            Ok(fresh)
        }
        Err(Error::InvalidGrant) => match load(core, handle).await? {
            Some(newer) if newer != current => Ok(newer),
            _ => Err(Error::InvalidGrant),
        },
        Err(error) => Err(error),
    }
}

/// Forgets the tokens: deletes their record and the handle.
pub(crate) async fn delete(core: &Core, session: &Session) -> Result<(), Error> {
    if let Some(handle) = handle(session).await? {
        if let Ok(id) = handle.record_id() {
            core.store.delete(&id).await?;
        }
        session.remove_value(TOKENS_KEY).await?;
    }
    Ok(())
}

/// Extends the token record's expiry with the session's (the guard's expiry slide calls this).
pub(crate) async fn touch(core: &Core, session: &Session) -> Result<(), Error> {
    let Some(handle) = handle(session).await? else {
        return Ok(());
    };
    let Ok(id) = handle.record_id() else {
        return Ok(());
    };
    if let Some(mut record) = core.store.load(&id).await? {
        record.expiry_date = expiry_date(core);
        core.store.save(&record).await?;
    }
    Ok(())
}
