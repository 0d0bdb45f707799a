//! Redis sessions, with a coherent in-process cache of logged-in sessions.
//!
//! Every logged-in request loads its session. From Redis, that is a network round trip and
//! twice the client-side work of the memory store. So logged-in sessions are also kept in
//! process, and Redis tells every instance when one changes: server-assisted client-side caching
//! (`CLIENT TRACKING ... BCAST`, <https://redis.io/docs/latest/develop/reference/client-side-caching/>).
//!
//! The rules that keep the cache honest:
//!
//! - **Invalidation.** One connection per instance, in RESP3, receives an `invalidate` message for
//!   every key written, deleted or expired in Redis, by any instance. Each message removes
//!   that session from the cache.
//! - **A lease.** Cached records are served only while the lease holds ([`CACHE_LEASE`]). The
//!   lease is renewed when a heartbeat on that connection comes back and every invalidation that
//!   arrived before it has been applied. So a change committed in Redis is never served from a
//!   cache to a request that starts [`CACHE_LEASE`] or more later, even when a message is
//!   delayed. In normal operation the message arrives within a millisecond. A stalled, partitioned
//!   or stopped Redis stops renewals: cached sessions then fail closed like the rest, at the
//!   latest [`CACHE_LEASE`] later.
//! - **Tracking lost, for any reason.** A new tracking connection (after a cut, a restart of
//!   Redis, a failover to a replica) has tracking off and may have missed messages, and a flush
//!   sends a message fred does not pass on. So every heartbeat asks, in one `MULTI`/`EXEC` (all
//!   answers from one connection, never half from a reconnected one): the server's `run_id` (new
//!   on every start, another one on a promoted replica) and the connection's `CLIENT ID` (ids
//!   start again from 1 after a restart: neither alone identifies the connection), whether
//!   tracking is on in `BCAST` mode (`CLIENT TRACKINGINFO`), and whether this instance's canary
//!   key is still there (a flush removes it). Unless the answer is the connection tracking was
//!   turned on for, still tracking, canary there, and on every connection error or reconnect
//!   fred reports, the cache stops serving and is emptied, tracking is turned on again, and only
//!   a later clean heartbeat renews the lease. Tracking is turned on nowhere else, and always
//!   over an empty cache: a connection that tracks has missed nothing the cache holds.
//! - **No stale fill.** A load marks its session as loading before it asks Redis. An invalidation
//!   or a local write removes the mark, and the answer is cached only if the mark is still there,
//!   so an answer that raced a change is not kept.
//! - **What is cached.** Only logged-in sessions, the records the guard reads on every request.
//!   Logins in progress (their `state` and PKCE verifier) and token records always come from
//!   Redis.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use fred::interfaces::{
    ClientLike as _, EventInterface as _, KeysInterface as _, SetsInterface as _,
    TransactionInterface as _,
};
use fred::prelude::{
    Client, ClientInterface as _, Config, Expiration, Pool, TrackingInterface as _, Value,
};
use fred::types::client::Invalidation;
use fred::types::{ExpireOptions, InfoKind, RespVersion, SetOptions};
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::schema::unix_now;
use crate::telemetry;

/// How long a cached session may be served after the last heartbeat that confirmed the cache was
/// up to date: the longest a change made on another instance (a logout) can go unseen here, and
/// the longest a stalled Redis can go unnoticed before requests fail closed.
///
/// ```
/// assert!(axum_oauth_login::store::CACHE_LEASE.as_millis() <= 500);
/// ```
pub const CACHE_LEASE: Duration = Duration::from_millis(300);

/// How often the tracking connection is checked. Three beats fit in one lease.
const BEAT: Duration = Duration::from_millis(100);
/// At most this many sessions are cached; loads beyond it go to Redis.
const MAX_ENTRIES: usize = 100_000;
/// A cached session unused for this long is dropped (every [`SWEEP_EVERY`] beats).
const IDLE: Duration = Duration::from_secs(120);
const SWEEP_EVERY: u32 = 100;
/// The canary's time to live, and how often it is set again (in beats: every 30 minutes).
const CANARY_TTL_SECONDS: i64 = 24 * 60 * 60;
const CANARY_EVERY: u32 = 18_000;
/// Invalidations waiting for the tracking task; more than this empties the cache.
const BACKLOG: usize = 4_096;

/// Sessions in Redis through `tower-sessions-redis-store`, with a cache of logged-in sessions kept
/// coherent by Redis's invalidation messages and served only under a lease ([`CACHE_LEASE`]) that a
/// heartbeat renews while it can prove tracking never lapsed (SECURITY.md has the rules and the
/// figures under faults). Opened by
/// [`AnyStore::from_url`](super::AnyStore::from_url) for a `redis://` URL; add `?cache=off` to read
/// every session from Redis.
///
/// ```no_run
/// # async fn doc() -> Result<(), axum_oauth_login::Error> {
/// use axum_oauth_login::store::AnyStore;
/// let store = AnyStore::from_url("redis://127.0.0.1:6379").await?;
/// let AnyStore::Redis(redis) = &store else { unreachable!() };
/// assert!(redis.is_cached());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RedisStore {
    sessions: tower_sessions_redis_store::RedisStore<Pool>,
    /// The same connections, for the update-only save.
    pool: Pool,
    cache: Option<Arc<Cache>>,
}

impl RedisStore {
    /// Whether logged-in sessions are cached in process.
    ///
    /// ```no_run
    /// # async fn doc() -> Result<(), axum_oauth_login::Error> {
    /// use axum_oauth_login::store::AnyStore;
    /// let store = AnyStore::from_url("redis://127.0.0.1:6379?cache=off").await?;
    /// let AnyStore::Redis(redis) = &store else { unreachable!() };
    /// assert!(!redis.is_cached());
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn is_cached(&self) -> bool {
        self.cache.is_some()
    }

    /// The store on `pool`; with `tracking` (a RESP3 client of the same server), the cache,
    /// which keeps the records `cacheable` picks.
    pub(super) async fn new(pool: Pool, tracking: Option<Config>, cacheable: Cacheable) -> Self {
        let cache = match tracking {
            Some(config) => start_cache(config, cacheable).await,
            None => None,
        };
        Self {
            sessions: tower_sessions_redis_store::RedisStore::new(pool.clone()),
            pool,
            cache,
        }
    }
}

#[async_trait]
impl SessionStore for RedisStore {
    /// `SET ... NX`, with a new id on a collision.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let created = loop {
            match self.set(record, SetOptions::NX).await {
                Ok(true) => break Ok(()),
                Ok(false) => record.id = Id::default(),
                Err(error) => break Err(error),
            }
        };
        self.forget(&record.id);
        created
    }

    /// `SET ... XX`: only a session that is there is written, as tower-sessions-redis-store does;
    /// but a session that is gone (a logout deleted it after this request loaded it) is a quiet
    /// no-op, where that crate reads Redis's `nil` answer as an error (and the request would
    /// answer 503).
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let saved = self.update(record).await;
        self.forget(&record.id);
        saved
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(cache) = &self.cache else {
            return self.sessions.load(id).await;
        };
        if let Some(record) = cache.get(id) {
            telemetry::cache("hit");
            return Ok(Some(record));
        }
        telemetry::cache("miss");
        let ticket = cache.begin(id);
        let loaded = self.sessions.load(id).await;
        if let (Some(ticket), Ok(record)) = (ticket, &loaded) {
            ticket.fill(record.as_ref());
        }
        loaded
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let deleted = self.sessions.delete(id).await;
        self.forget(id);
        deleted
    }
}

impl RedisStore {
    /// Writes the record if its key exists (a late save of a deleted session writes nothing).
    async fn update(&self, record: &Record) -> session_store::Result<()> {
        self.set(record, SetOptions::XX).await.map(|_| ())
    }

    /// `SET` with `options`, encoded and keyed as tower-sessions-redis-store does (MessagePack,
    /// the id as key); whether Redis wrote it (`OK`, not `nil`). The time to live is relative
    /// (`EX`), measured on this instance's clock as every expiry check here is: an absolute
    /// `EXAT` would make a host whose clock is behind Redis's by more than a session's lifetime
    /// (the pending login's 10 minutes) write sessions that are gone at once.
    async fn set(&self, record: &Record, options: SetOptions) -> session_store::Result<bool> {
        let value = rmp_serde::to_vec(record)
            .map_err(|error| session_store::Error::Encode(error.to_string()))?;
        let ttl = (record.expiry_date - time::OffsetDateTime::now_utc())
            .whole_seconds()
            .max(1);
        let written: Value = self
            .pool
            .set(
                record.id.to_string(),
                value.as_slice(),
                Some(Expiration::EX(ttl)),
                Some(options),
                false,
            )
            .await
            .map_err(|error| session_store::Error::Backend(error.to_string()))?;
        Ok(!written.is_null())
    }

    /// This instance's own writes need not wait for Redis's message to reach the cache.
    fn forget(&self, id: &Id) {
        if let Some(cache) = &self.cache {
            let _dropped = cache.forget(id);
        }
    }
}

/// Back-channel logout's index as Redis sets (`oauth-logout:<key>`, the session ids), each living
/// as long as its longest entry, and markers as keys set with `NX` (`oauth-used:<key>`). Times to
/// live are relative, measured on this instance's clock (see [`RedisStore::set`]).
#[async_trait]
impl super::coordination::Coordination for RedisStore {
    async fn index(&self, keys: &[String], session: Id, until: i64) -> session_store::Result<()> {
        let ttl = (until - unix_now()).max(1);
        for key in keys {
            let key = format!("oauth-logout:{key}");
            let _: Value = self
                .pool
                .sadd(key.as_str(), session.to_string())
                .await
                .map_err(backend)?;
            // A new set has no time to live, which `GT` counts as infinite: `NX` sets it, `GT`
            // extends it.
            for option in [ExpireOptions::NX, ExpireOptions::GT] {
                let _: Value = self
                    .pool
                    .expire(key.as_str(), ttl, Some(option))
                    .await
                    .map_err(backend)?;
            }
        }
        Ok(())
    }

    async fn unindex(&self, keys: &[String], session: Id) -> session_store::Result<()> {
        for key in keys {
            let _: Value = self
                .pool
                .srem(format!("oauth-logout:{key}"), session.to_string())
                .await
                .map_err(backend)?;
        }
        Ok(())
    }

    async fn indexed(&self, key: &str) -> session_store::Result<Vec<Id>> {
        let members: Vec<String> = self
            .pool
            .smembers(format!("oauth-logout:{key}"))
            .await
            .map_err(backend)?;
        Ok(members.iter().filter_map(|id| id.parse().ok()).collect())
    }

    async fn first_use(&self, key: &str, until: i64) -> session_store::Result<bool> {
        let set: Value = self
            .pool
            .set(
                format!("oauth-used:{key}"),
                1,
                Some(Expiration::EX((until - unix_now()).max(1))),
                Some(SetOptions::NX),
                false,
            )
            .await
            .map_err(backend)?;
        Ok(!set.is_null())
    }

    async fn release(&self, key: &str) -> session_store::Result<()> {
        let _: Value = self
            .pool
            .del(format!("oauth-used:{key}"))
            .await
            .map_err(backend)?;
        Ok(())
    }
}

fn backend(error: fred::error::Error) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

/// Connects the tracking client and starts its task; `None` (with a warning) when the server
/// cannot track (Redis before 6, an ACL without `CLIENT`): sessions are then read from Redis.
async fn start_cache(mut config: Config, cacheable: Cacheable) -> Option<Arc<Cache>> {
    config.version = RespVersion::RESP3;
    let client = super::redis_builder(config)
        .with_performance_config(|p| {
            p.default_command_timeout = BEAT * 10;
            p.broadcast_channel_capacity = BACKLOG;
        })
        .build()
        .ok()?;
    if let Err(error) = client.init().await {
        tracing::warn!(%error, "Redis session cache off: no tracking connection");
        return None;
    }
    let cache = Arc::new(Cache::new(cacheable));
    let mut tracker = Tracker {
        client,
        cache: Arc::downgrade(&cache),
        canary: format!(
            "axum-oauth-login:cache-canary:{:016x}",
            rand::random::<u64>()
        ),
        connection: None,
    };
    if let Err(error) = tracker.track(&cache).await {
        tracing::warn!(%error, "Redis session cache off: CLIENT TRACKING refused");
        let _ = tracker.client.quit().await;
        return None;
    }
    // Redis before 6.2 has no `CLIENT TRACKINGINFO`: no heartbeat would ever renew the lease.
    if let Err(error) = tracker.check(false).await {
        tracing::warn!(%error, "Redis session cache off: the heartbeat fails");
        let _ = tracker.client.quit().await;
        return None;
    }
    tokio::spawn(tracker.run());
    Some(cache)
}

/// The tracking connection and what the heartbeat knows of it.
struct Tracker {
    client: Client,
    cache: Weak<Cache>,
    /// This instance's canary key: gone means the database was flushed.
    canary: String,
    /// The connection tracking was turned on for (after the cache was emptied); `None` when
    /// tracking may have been lost since.
    connection: Option<Connection>,
}

/// One connection to one run of one Redis server: `CLIENT ID`s start again from 1 when Redis
/// restarts and are another server's on a promoted replica, the `run_id` is new on each start
/// and differs between servers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Connection {
    run_id: String,
    client_id: i64,
}

/// What one heartbeat saw on the tracking connection.
#[derive(Debug, PartialEq, Eq)]
struct Beat {
    connection: Connection,
    /// `CLIENT TRACKINGINFO` says on, in `BCAST` mode.
    tracking: bool,
    /// This instance's canary key is there: no flush since it was set.
    canary: bool,
}

impl Tracker {
    /// Applies invalidations as they come, and renews the lease on each clean beat.
    async fn run(mut self) {
        let mut invalidations = self.client.invalidation_rx();
        let mut reconnects = self.client.reconnect_rx();
        let mut errors = self.client.error_rx();
        let mut beat = tokio::time::interval(BEAT);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut beats: u32 = 0;
        loop {
            tokio::select! {
                message = invalidations.recv() => {
                    let Some(cache) = self.cache.upgrade() else { break };
                    match message {
                        Ok(message) => apply(&cache, Some(message)),
                        Err(RecvError::Lagged(_)) => apply(&cache, None),
                        Err(RecvError::Closed) => break,
                    }
                }
                reconnect = reconnects.recv() => {
                    let Some(cache) = self.cache.upgrade() else { break };
                    if matches!(reconnect, Err(RecvError::Closed)) {
                        break;
                    }
                    // A new connection: tracking is off there, messages may have been missed.
                    self.lost(&cache);
                }
                error = errors.recv() => {
                    let Some(cache) = self.cache.upgrade() else { break };
                    if matches!(error, Err(RecvError::Closed)) {
                        break;
                    }
                    // The connection closed (or fred gave up on it): from now on messages are
                    // lost, so stop serving at once rather than when the lease runs out.
                    self.lost(&cache);
                }
                _ = beat.tick() => {
                    let Some(cache) = self.cache.upgrade() else { break };
                    beats = beats.wrapping_add(1);
                    self.beat(&cache, &mut invalidations, beats.is_multiple_of(CANARY_EVERY))
                        .await;
                    if beats.is_multiple_of(SWEEP_EVERY) {
                        cache.sweep();
                    }
                }
            }
        }
        let _ = self.client.quit().await;
    }

    /// One heartbeat: when it comes back clean, applies what arrived before it and renews the
    /// lease; when tracking was lost, empties the cache and turns tracking on again.
    async fn beat(
        &mut self,
        cache: &Cache,
        invalidations: &mut broadcast::Receiver<Invalidation>,
        refresh: bool,
    ) {
        let started = Instant::now();
        let seen = match self.check(refresh).await {
            Ok(seen) => seen,
            Err(error) => {
                // The lease runs out by itself; the next beat tells what became of the connection.
                tracing::debug!(%error, "Redis session cache: heartbeat failed");
                telemetry::cache("heartbeat_failed");
                return;
            }
        };
        if !self.clean(&seen) {
            self.lost(cache);
            if let Err(error) = self.track(cache).await {
                tracing::debug!(%error, "Redis session cache: CLIENT TRACKING failed");
            }
            // Renewed by the next clean beat only, which also checks that tracking held.
            return;
        }
        // Every message Redis sent before the heartbeat's answer is queued by now.
        loop {
            match invalidations.try_recv() {
                Ok(message) => apply(cache, Some(message)),
                Err(TryRecvError::Lagged(_)) => apply(cache, None),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Closed) => return,
            }
        }
        cache.renew(started + CACHE_LEASE);
    }

    /// Whether a heartbeat found the connection tracking was turned on for, still tracking, and
    /// nothing flushed.
    fn clean(&self, seen: &Beat) -> bool {
        seen.tracking && seen.canary && self.connection.as_ref() == Some(&seen.connection)
    }

    /// Tracking may have been lost: nothing is served from the cache until it is back.
    fn lost(&mut self, cache: &Cache) {
        self.connection = None;
        cache.lose();
    }

    /// The heartbeat's questions, answered at once by one connection; with `refresh`, the
    /// canary's time to live is set again (`EXPIRE`: a flushed canary stays gone).
    async fn check(&self, refresh: bool) -> Result<Beat, fred::error::Error> {
        let transaction = self.client.multi();
        let _: () = transaction.client_id().await?;
        let _: () = transaction.info(Some(InfoKind::Server)).await?;
        let _: () = transaction.client_trackinginfo().await?;
        let _: () = transaction.exists(&self.canary).await?;
        if refresh {
            let _: () = transaction
                .expire(&self.canary, CANARY_TTL_SECONDS, None)
                .await?;
        }
        let answers: Vec<Value> = transaction.exec(true).await?;
        let mut answers = answers.into_iter();
        let mut next = || {
            answers
                .next()
                .ok_or_else(|| protocol("EXEC: too few answers"))
        };
        let client_id: i64 = next()?.convert()?;
        let info: String = next()?.convert()?;
        let tracking = tracking_on(next()?);
        let canary: i64 = next()?.convert()?;
        Ok(Beat {
            connection: Connection {
                run_id: run_id(&info).ok_or_else(|| protocol("INFO: no run_id"))?,
                client_id,
            },
            tracking,
            canary: canary == 1,
        })
    }

    /// Turns tracking on (the cache must be empty) and sets the canary, in one `MULTI`/`EXEC`,
    /// and notes the connection that did it.
    async fn track(&mut self, cache: &Cache) -> Result<(), fred::error::Error> {
        debug_assert!(
            !cache.fresh(Instant::now()),
            "tracking starts from no lease"
        );
        let transaction = self.client.multi();
        let _: () = transaction
            .client_tracking("on", None, Vec::<String>::new(), true, false, false, false)
            .await?;
        let expiration = Some(Expiration::EX(CANARY_TTL_SECONDS));
        let _: () = transaction
            .set(&self.canary, 1, expiration, None, false)
            .await?;
        let _: () = transaction.client_id().await?;
        let _: () = transaction.info(Some(InfoKind::Server)).await?;
        let (_, _, client_id, info): ((), (), i64, String) = transaction.exec(true).await?;
        self.connection = Some(Connection {
            run_id: run_id(&info).ok_or_else(|| protocol("INFO: no run_id"))?,
            client_id,
        });
        Ok(())
    }
}

/// An answer the heartbeat cannot read.
fn protocol(what: &'static str) -> fred::error::Error {
    fred::error::Error::new(fred::error::ErrorKind::Protocol, what)
}

/// The `run_id` line of `INFO server`.
fn run_id(info: &str) -> Option<String> {
    info.lines()
        .find_map(|line| line.strip_prefix("run_id:"))
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
}

/// Whether a `CLIENT TRACKINGINFO` answer says tracking is on in `BCAST` mode.
fn tracking_on(info: Value) -> bool {
    let Ok(mut info) = info.convert::<HashMap<String, Value>>() else {
        return false;
    };
    let flags: Vec<String> = info
        .remove("flags")
        .and_then(|flags| flags.convert().ok())
        .unwrap_or_default();
    ["on", "bcast"]
        .iter()
        .all(|flag| flags.iter().any(|f| f.eq_ignore_ascii_case(flag)))
}

/// One invalidation message, or `None` for messages lost (the task fell behind).
fn apply(cache: &Cache, message: Option<Invalidation>) {
    match message {
        Some(invalidation) => {
            for key in &invalidation.keys {
                let id = key.as_str().and_then(|key| key.parse::<Id>().ok());
                if id.is_some_and(|id| cache.forget(&id)) {
                    telemetry::cache("invalidation");
                }
            }
        }
        None => cache.lose(),
    }
}

/// Which records the cache keeps: the ones read on every request (logged-in sessions). The store
/// is told by its creator; it knows nothing of what a session holds.
pub(crate) type Cacheable = fn(&Record) -> bool;

/// The cached sessions and their lease.
#[derive(Debug)]
pub(crate) struct Cache {
    cacheable: Cacheable,
    /// The origin of `fresh_until`.
    origin: Instant,
    /// Nanoseconds after `origin` until which cached records may be served; 0: not now.
    fresh_until: AtomicU64,
    slots: Mutex<Slots>,
}

#[derive(Debug, Default)]
struct Slots {
    map: HashMap<Id, Slot>,
    tickets: u64,
}

#[derive(Debug)]
enum Slot {
    /// A load asked Redis; its answer may be cached if the slot is still this one.
    Loading(u64),
    /// A logged-in session as Redis last gave it.
    Ready {
        record: Record,
        /// The record's expiry, in Unix seconds.
        expires: i64,
        used: Instant,
    },
}

impl Cache {
    fn new(cacheable: Cacheable) -> Self {
        Self {
            cacheable,
            origin: Instant::now(),
            fresh_until: AtomicU64::new(0),
            slots: Mutex::default(),
        }
    }

    fn slots(&self) -> MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn since_origin(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.origin).as_nanos()).unwrap_or(u64::MAX)
    }

    fn fresh(&self, now: Instant) -> bool {
        self.since_origin(now) < self.fresh_until.load(Ordering::Acquire)
    }

    /// Serves cached records until `until`.
    fn renew(&self, until: Instant) {
        self.fresh_until
            .store(self.since_origin(until).max(1), Ordering::Release);
    }

    /// Serves nothing from the cache until the next renewal.
    fn expire(&self) {
        self.fresh_until.store(0, Ordering::Release);
    }

    /// The cached record of `id`, while the lease holds and the record has not expired.
    fn get(&self, id: &Id) -> Option<Record> {
        let now = Instant::now();
        if !self.fresh(now) {
            return None;
        }
        let mut slots = self.slots();
        let Some(Slot::Ready {
            record,
            expires,
            used,
        }) = slots.map.get_mut(id)
        else {
            return None;
        };
        if *expires <= unix_now() {
            slots.map.remove(id);
            return None;
        }
        *used = now;
        Some(record.clone())
    }

    /// Marks `id` as loading; `None` when nothing may be cached now (no lease, or full).
    fn begin(&self, id: &Id) -> Option<Ticket<'_>> {
        if !self.fresh(Instant::now()) {
            return None;
        }
        let mut slots = self.slots();
        if slots.map.len() >= MAX_ENTRIES {
            return None;
        }
        slots.tickets += 1;
        let number = slots.tickets;
        slots.map.insert(*id, Slot::Loading(number));
        Some(Ticket {
            cache: self,
            id: *id,
            number,
        })
    }

    /// Drops `id`'s entry; whether there was one.
    fn forget(&self, id: &Id) -> bool {
        self.slots().map.remove(id).is_some()
    }

    /// Tracking may have lapsed: serves nothing until the next renewal, and empties the cache.
    fn lose(&self) {
        telemetry::cache("lease_lost");
        self.expire();
        self.slots().map.clear();
    }

    /// Drops sessions unused for [`IDLE`], expired ones, and loads that never finished.
    fn sweep(&self) {
        let now = Instant::now();
        let unix = unix_now();
        self.slots().map.retain(|_, slot| match slot {
            Slot::Loading(_) => false,
            Slot::Ready { expires, used, .. } => {
                *expires > unix && now.saturating_duration_since(*used) < IDLE
            }
        });
    }
}

/// A load in progress: [`fill`](Ticket::fill) caches its answer if nothing changed meanwhile;
/// dropped unfilled (the request went away), it clears its mark.
struct Ticket<'a> {
    cache: &'a Cache,
    id: Id,
    number: u64,
}

impl Ticket<'_> {
    fn fill(self, record: Option<&Record>) {
        let mut slots = self.cache.slots();
        if !matches!(slots.map.get(&self.id), Some(Slot::Loading(n)) if *n == self.number) {
            return;
        }
        match record.filter(|record| (self.cache.cacheable)(record)) {
            Some(record) => {
                slots.map.insert(
                    self.id,
                    Slot::Ready {
                        record: record.clone(),
                        expires: record.expiry_date.unix_timestamp(),
                        used: Instant::now(),
                    },
                );
            }
            None => {
                slots.map.remove(&self.id);
            }
        }
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        let mut slots = self.cache.slots();
        if matches!(slots.map.get(&self.id), Some(Slot::Loading(n)) if *n == self.number) {
            slots.map.remove(&self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{RECORD_KEY, STAMP_KEY};

    fn record(keys: &[&str]) -> Record {
        Record {
            id: Id::default(),
            data: keys
                .iter()
                .map(|k| ((*k).to_owned(), serde_json::json!("1700000000")))
                .collect(),
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        }
    }

    fn leased() -> Cache {
        let cache = Cache::new(crate::schema::is_logged_in_session);
        cache.renew(Instant::now() + Duration::from_secs(60));
        cache
    }

    fn load(cache: &Cache, record: &Record) {
        cache.begin(&record.id).expect("a lease").fill(Some(record));
    }

    #[test]
    fn a_logged_in_session_is_served_from_the_cache_while_the_lease_holds() {
        let cache = leased();
        let session = record(&[STAMP_KEY, "auth"]);
        assert!(cache.get(&session.id).is_none(), "nothing cached yet");
        load(&cache, &session);
        assert_eq!(cache.get(&session.id).map(|r| r.data), Some(session.data));

        cache.expire();
        assert!(cache.get(&session.id).is_none(), "no lease, no cache");
        assert!(cache.begin(&session.id).is_none(), "nor any new entry");
        cache.renew(Instant::now() + Duration::from_secs(60));
        assert!(cache.get(&session.id).is_some());
    }

    #[test]
    fn logins_in_progress_token_records_and_absent_sessions_are_not_cached() {
        let cache = leased();
        let pending = record(&["oauth.pending"]);
        let tokens = record(&[RECORD_KEY, STAMP_KEY]);
        load(&cache, &pending);
        load(&cache, &tokens);
        let absent = Id::default();
        cache.begin(&absent).unwrap().fill(None);
        assert!(cache.get(&pending.id).is_none());
        assert!(cache.get(&tokens.id).is_none());
        assert!(cache.get(&absent).is_none());
        assert!(cache.slots().map.is_empty(), "no marks left behind");
    }

    #[test]
    fn an_answer_that_raced_an_invalidation_is_not_cached() {
        let cache = leased();
        let session = record(&[STAMP_KEY]);
        let ticket = cache.begin(&session.id).unwrap();
        // Redis answered with the old record, and the message for a logout arrived first.
        cache.forget(&session.id);
        ticket.fill(Some(&session));
        assert!(cache.get(&session.id).is_none());

        // The same after a reconnect or a flush empties the cache.
        let ticket = cache.begin(&session.id).unwrap();
        cache.lose();
        cache.renew(Instant::now() + Duration::from_secs(60));
        ticket.fill(Some(&session));
        assert!(cache.get(&session.id).is_none());

        // Two loads of one session: only the latest mark may fill.
        let first = cache.begin(&session.id).unwrap();
        let second = cache.begin(&session.id).unwrap();
        first.fill(Some(&session));
        assert!(
            cache.get(&session.id).is_none(),
            "the first load's mark was replaced"
        );
        second.fill(Some(&session));
        assert!(cache.get(&session.id).is_some());
    }

    #[test]
    fn an_invalidation_removes_the_session_and_a_backlog_empties_the_cache() {
        let cache = leased();
        let (ada, bob) = (record(&[STAMP_KEY]), record(&[STAMP_KEY]));
        load(&cache, &ada);
        load(&cache, &bob);
        let message = |key: String| {
            Some(Invalidation {
                keys: vec![key.into(), "unrelated-key".into()],
                server: fred::prelude::Server::from(("127.0.0.1", 6379)),
            })
        };
        apply(&cache, message(ada.id.to_string()));
        assert!(
            cache.get(&ada.id).is_none(),
            "ada's session changed elsewhere"
        );
        assert!(cache.get(&bob.id).is_some(), "bob's did not");

        apply(&cache, None);
        assert!(
            cache.get(&bob.id).is_none(),
            "messages were lost: nothing is trusted"
        );
        assert!(!cache.fresh(Instant::now()), "until the next heartbeat");
    }

    #[test]
    fn the_heartbeat_reads_the_run_id_and_the_tracking_flags() {
        let info = "# Server\r\nredis_version:7.0.15\r\nrun_id:4f1c0e\r\ntcp_port:6379\r\n";
        assert_eq!(run_id(info).as_deref(), Some("4f1c0e"));
        assert_eq!(run_id("# Server\r\nrun_id:\r\n"), None);

        let trackinginfo = |flags: &[&str]| {
            let flags = flags.iter().map(|f| Value::from(*f)).collect::<Vec<_>>();
            let map: HashMap<String, Value> = [
                ("flags".to_owned(), Value::Array(flags)),
                ("redirect".to_owned(), Value::Integer(-1)),
                ("prefixes".to_owned(), Value::Array(Vec::new())),
            ]
            .into_iter()
            .collect();
            Value::Map(map.try_into().unwrap())
        };
        assert!(tracking_on(trackinginfo(&["on", "bcast"])));
        assert!(!tracking_on(trackinginfo(&["off"])), "a new connection");
        assert!(!tracking_on(trackinginfo(&["on"])), "not every key");
        assert!(!tracking_on(Value::Null));
    }

    #[test]
    fn an_abandoned_load_leaves_no_mark_and_expired_sessions_are_not_served() {
        let cache = leased();
        let session = record(&[STAMP_KEY]);
        drop(cache.begin(&session.id));
        assert!(cache.slots().map.is_empty());

        let mut expired = record(&[STAMP_KEY]);
        expired.expiry_date = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
        load(&cache, &expired);
        assert!(cache.get(&expired.id).is_none());
        load(&cache, &session);
        cache.sweep();
        assert!(cache.get(&session.id).is_some(), "a used session stays");
    }
}
