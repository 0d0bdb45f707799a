//! The logged-in user's tokens: in the session store, beside the session, in a record of their
//! own. The session holds only a small handle to them, in its [`Stamp`].
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
use std::time::Duration;

use tower_sessions::Session;
use tower_sessions::session::{Id, Record};

use crate::schema::{Handle, RECORD_KEY, STAMP_KEY, Stamp, unix_now};
use crate::state::Core;
use crate::{Client, Error, Tokens};

/// The session's stamp, if it has one.
pub(crate) async fn stamp(session: &Session) -> Result<Option<Stamp>, Error> {
    let text: Option<String> = session.get(STAMP_KEY).await?;
    Ok(text.as_deref().and_then(Stamp::decode))
}

/// Writes the session's stamp.
pub(crate) async fn set_stamp(session: &Session, stamp: &Stamp) -> Result<(), Error> {
    Ok(session.insert(STAMP_KEY, stamp.encode()).await?)
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

/// Stores the tokens of a new login in a record of their own and returns its handle (for the
/// session's [`Stamp`]).
pub(crate) async fn put(core: &Core, provider: &str, tokens: &Tokens) -> Result<Handle, Error> {
    let mut record = record(core, Id::default(), tokens)?;
    core.store.create(&mut record).await?;
    Ok(Handle {
        id: record.id.to_string(),
        provider: provider.to_owned(),
    })
}

/// The handle in the session, if the user has tokens.
pub(crate) async fn handle(session: &Session) -> Result<Option<Handle>, Error> {
    Ok(stamp(session).await?.and_then(|stamp| stamp.tokens))
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

/// How long a refresh may hold the session's lease in the shared store: past it, the lease is
/// free again (its holder is taken for dead). The provider calls of a refresh end well before
/// ([`SPEND_LIMIT`]), so a live holder never loses its lease.
const LEASE_SECS: i64 = 30;

/// The longest a refresh spends at the provider (the token request, and the keys for a new ID
/// token, each bounded by the HTTP client's timeout as well).
const SPEND_LIMIT: Duration = Duration::from_secs(25);

/// How often a refresh waiting for another instance's looks at the token record again.
const POLL: Duration = Duration::from_millis(50);

/// Refreshes the tokens `seen` at the provider, once per session across every instance that
/// shares the store: a caller that waited for another caller's refresh gets its result instead of
/// refreshing again, so a rotated refresh token is never presented twice (a provider with reuse
/// detection would revoke the whole grant).
///
/// On one instance callers queue on a lock; across instances, on a lease in the store (the
/// library's stores; with a custom store only the lock, and a refresh that loses the race to
/// another instance gets `invalid_grant`, after which the record is read again and the winner's
/// tokens returned). A failed refresh keeps the tokens, so a later call tries again.
pub(crate) async fn refresh(core: &Core, handle: &Handle, seen: &Tokens) -> Result<Tokens, Error> {
    let lock = core.flights.lock_for(&handle.id);
    let _flight = lock.lock().await;
    let current = load(core, handle).await?.ok_or(Error::NoTokens)?;
    if current != *seen {
        return Ok(current);
    }
    let Some(shared) = &core.coordination else {
        return spend(core, handle, current).await;
    };
    let lease = format!("refresh:{}", handle.id);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(LEASE_SECS as u64 + 5);
    loop {
        if shared.first_use(&lease, unix_now() + LEASE_SECS).await? {
            // The record may have changed between the read above and the lease.
            let result = match load(core, handle).await? {
                Some(tokens) if tokens == current => spend(core, handle, current).await,
                Some(newer) => Ok(newer),
                None => Err(Error::NoTokens),
            };
            if shared.release(&lease).await.is_err() {
                tracing::warn!("a refresh lease could not be given back; it ends by itself");
            }
            return result;
        }
        // Another instance refreshes: its tokens appear in the record.
        tokio::time::sleep(POLL).await;
        match load(core, handle).await? {
            Some(tokens) if tokens == current => {}
            Some(newer) => return Ok(newer),
            None => return Err(Error::NoTokens),
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(Error::Network(
                "another instance's refresh of these tokens did not finish".into(),
            ));
        }
    }
}

/// Presents `current`'s refresh token at the provider and stores what comes back.
async fn spend(core: &Core, handle: &Handle, current: Tokens) -> Result<Tokens, Error> {
    let answer = tokio::time::timeout(SPEND_LIMIT, client(core, handle)?.refresh(&current))
        .await
        .unwrap_or_else(|_| Err(Error::Network("the refresh timed out".into())));
    match answer {
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

/// Forgets the tokens: deletes their record and takes the handle out of the stamp.
pub(crate) async fn delete(core: &Core, session: &Session) -> Result<(), Error> {
    let Some(mut stamp) = stamp(session).await? else {
        return Ok(());
    };
    if let Some(handle) = stamp.tokens.take() {
        if let Ok(id) = handle.record_id() {
            core.store.delete(&id).await?;
        }
        set_stamp(session, &stamp).await?;
    }
    Ok(())
}

/// Extends the token record's expiry with the session's (the guard's expiry slide calls this).
pub(crate) async fn touch(core: &Core, handle: &Handle) -> Result<(), Error> {
    let Ok(id) = handle.record_id() else {
        return Ok(());
    };
    if let Some(mut record) = core.store.load(&id).await? {
        record.expiry_date = expiry_date(core);
        core.store.save(&record).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_round_trips_and_its_time_reads_alone() {
        let with = Stamp {
            seen: 1_764_000_000,
            tokens: Some(Handle {
                id: "AbC-12_x".into(),
                provider: "my provider".into(),
            }),
        };
        let text = with.encode();
        assert_eq!(text, "1764000000 AbC-12_x my provider");
        assert_eq!(Stamp::decode(&text), Some(with));
        assert_eq!(Stamp::seen_of(&text), Some(1_764_000_000));

        let without = Stamp {
            seen: 5,
            tokens: None,
        };
        assert_eq!(without.encode(), "5");
        assert_eq!(Stamp::decode("5"), Some(without));
        assert_eq!(Stamp::seen_of("5"), Some(5));

        for bad in ["", "x", "x 1 dev", " 5"] {
            assert_eq!(Stamp::decode(bad), None, "{bad:?}");
            assert_eq!(Stamp::seen_of(bad), None, "{bad:?}");
        }
    }
}
