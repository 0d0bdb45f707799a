//! Session stores chosen at run time (`SESSION_STORE`) and the cookie key (`SESSION_KEY`).

use tower_sessions::cookie::Key;

use crate::Error;

mod coordination;
mod memory;
#[cfg(feature = "redis")]
mod redis;
pub(crate) use coordination::Coordination;
pub use memory::{MEMORY_CAPACITY, MemoryStore};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis::{CACHE_LEASE, RedisStore};

/// Reads a cookie key from 128 hex characters (64 bytes), as in `SESSION_KEY`.
///
/// # Errors
/// [`Error::Config`] when the text is not 128 hex characters.
///
/// ```
/// let key = axum_oauth_login::store::key_from_hex(&"ab".repeat(64)).unwrap();
/// # let _ = key;
/// assert!(axum_oauth_login::store::key_from_hex("short").is_err());
/// ```
pub fn key_from_hex(hex_key: &str) -> Result<Key, Error> {
    let bytes = hex::decode(hex_key.trim())
        .map_err(|_| Error::Config("SESSION_KEY must be 128 hex characters".into()))?;
    if bytes.len() != 64 {
        return Err(Error::Config(
            "SESSION_KEY must be 128 hex characters".into(),
        ));
    }
    Ok(Key::from(&bytes))
}

#[cfg(any(feature = "sqlite", feature = "postgres", feature = "redis"))]
use std::time::Duration;

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// A session store picked at run time from a URL, as the examples' `SESSION_STORE`:
///
/// | URL | store | feature |
/// |---|---|---|
/// | `memory` | in process (one instance, lost on restart; see [`MemoryStore`]) | always |
/// | `sqlite:///absolute/path.db` | SQLite file, created if missing | `sqlite` |
/// | `redis://host:port` | Redis (several instances), logged-in sessions cached in process | `redis` |
/// | `redis://host:port?cache=off` | Redis, every session read from Redis | `redis` |
/// | `rediss://host:port` | Redis over TLS (also with `?cache=off`) | `redis` |
/// | `postgres://...` | PostgreSQL (several instances) | `postgres` |
/// | `postgres://...?sslmode=require` | PostgreSQL over TLS, the server's certificate not checked | `postgres` |
/// | `postgres://...?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem` | PostgreSQL over TLS, the certificate and host name checked | `postgres` |
///
/// TLS is rustls on aws-lc-rs, with no process-level provider needed. `rediss://` trusts the
/// system's root certificates, or those of the `SSL_CERT_FILE` file / `SSL_CERT_DIR` directory
/// when set (a private CA goes there), and checks the host name against the certificate.
/// PostgreSQL follows libpq's `sslmode`: `prefer` (the default: TLS when the server offers it,
/// unverified), `require` (TLS or fail, unverified), `verify-ca` (the chain is checked),
/// `verify-full` (the chain and the host name); `sslrootcert=` names the CA file to trust, else
/// Mozilla's roots (`webpki-roots`) are used. Only `verify-full` (or `rediss://`) protects against
/// an impostor on the network path.
///
/// Every store's [`save`](SessionStore::save) only updates a session that is there; only
/// [`create`](SessionStore::create) adds one. So a request that loaded a session before a logout
/// and saves it after (a `/login` writing a pending login) cannot bring the deleted session back.
///
/// SQL stores create their table and purge expired sessions every minute in the background. Each
/// SQL operation is bounded to 3 seconds (PostgreSQL's `statement_timeout` is 2 seconds) and each
/// Redis command to 2 seconds: a store that cannot answer in time makes the request fail closed
/// with 503. Redis gets one connection per core the process may run on, at most 8, and one more
/// that keeps the cache of logged-in sessions coherent: a change made on any instance (a logout)
/// reaches every instance's cache within milliseconds, and is never missed by a request that
/// starts [`CACHE_LEASE`] later (see [`RedisStore`]).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use axum_oauth_login::store::AnyStore;
/// let store = AnyStore::from_url("memory").await.unwrap();
/// assert!(matches!(store, AnyStore::Memory(_)));
/// assert!(AnyStore::from_url("ftp://nope").await.is_err());
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AnyStore {
    /// In process.
    Memory(MemoryStore),
    /// SQLite: tower-sessions-sqlx-store's store, and its pool for the update-only save.
    #[cfg(feature = "sqlite")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
    Sqlite(tower_sessions_sqlx_store::SqliteStore, sqlx::SqlitePool),
    /// PostgreSQL: tower-sessions-sqlx-store's store, and its pool for the update-only save.
    #[cfg(feature = "postgres")]
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
    Postgres(tower_sessions_sqlx_store::PostgresStore, sqlx::PgPool),
    /// Redis.
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    Redis(RedisStore),
}

impl AnyStore {
    /// Opens the store `url` names (see the table above).
    ///
    /// # Errors
    /// [`Error::Config`] for an unknown or malformed URL, or a feature not compiled in;
    /// [`Error::SessionStore`] when the store cannot be reached or set up.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use axum_oauth_login::store::AnyStore;
    /// let store = AnyStore::from_url("memory").await.unwrap();
    /// assert!(AnyStore::from_url("mongodb://x").await.is_err());
    /// # });
    /// ```
    pub async fn from_url(url: &str) -> Result<Self, Error> {
        if url == "memory" || url.is_empty() {
            return Ok(Self::Memory(MemoryStore::default()));
        }
        let scheme = url.split_once("://").map_or("", |(s, _)| s);
        match scheme {
            #[cfg(feature = "sqlite")]
            "sqlite" => sqlite(url).await,
            #[cfg(feature = "postgres")]
            "postgres" | "postgresql" => postgres(url).await,
            #[cfg(feature = "redis")]
            "redis" | "rediss" => redis(url).await,
            _ => Err(Error::Config(format!(
                "SESSION_STORE `{scheme}` is not one of memory, sqlite://, postgres://, redis:// (or its feature is off)"
            ))),
        }
    }
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn purge_expired<S: tower_sessions::ExpiredDeletion + Clone>(store: &S) {
    let store = store.clone();
    tokio::spawn(async move {
        if let Err(error) = store
            .continuously_delete_expired(Duration::from_secs(60))
            .await
        {
            tracing::warn!(%error, "expired-session purge stopped");
        }
    });
}

/// Purges back-channel logout's ended index entries and markers every minute, in the background.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn purge_index<F, Fut>(purge: F)
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), sqlx::Error>> + Send,
{
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            if let Err(error) = purge().await {
                tracing::warn!(%error, "purging the logout index failed; trying again in a minute");
            }
        }
    });
}

#[cfg(feature = "sqlite")]
async fn sqlite(url: &str) -> Result<AnyStore, Error> {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
    let path = url.trim_start_matches("sqlite://");
    if !path.starts_with('/') {
        return Err(Error::Config(
            "SESSION_STORE sqlite:// needs an absolute path (sqlite:///var/lib/app/sessions.db)"
                .into(),
        ));
    }
    if let Some(dir) = std::path::Path::new(path).parent() {
        std::fs::create_dir_all(dir)
            .map_err(|_| Error::Config(format!("cannot create {}", dir.display())))?;
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    let pool = SqlitePoolOptions::new()
        .acquire_timeout(Duration::from_secs(3))
        .connect_with(options)
        .await
        .map_err(|_| Error::SessionStore)?;
    let store = tower_sessions_sqlx_store::SqliteStore::new(pool.clone());
    store.migrate().await.map_err(|_| Error::SessionStore)?;
    coordination::sql::sqlite_migrate(&pool)
        .await
        .map_err(|_| Error::SessionStore)?;
    purge_expired(&store);
    let purged = pool.clone();
    purge_index(move || {
        let pool = purged.clone();
        async move { coordination::sql::sqlite_purge(&pool).await }
    });
    Ok(AnyStore::Sqlite(store, pool))
}

#[cfg(feature = "postgres")]
async fn postgres(url: &str) -> Result<AnyStore, Error> {
    use std::str::FromStr as _;
    let options = sqlx::postgres::PgConnectOptions::from_str(url)
        .map_err(|_| Error::Config("SESSION_STORE is not a valid postgres:// URL".into()))?
        // The server gives up first, so that a write the request abandoned is cancelled rather
        // than applied later, and an abandoned query does not hold its locks.
        .options([(
            "statement_timeout",
            STATEMENT_TIMEOUT.as_millis().to_string(),
        )]);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(3))
        .connect_with(options)
        .await
        .map_err(|_| Error::SessionStore)?;
    let store = tower_sessions_sqlx_store::PostgresStore::new(pool.clone());
    postgres_migrate(&store, &pool).await.map_err(|error| {
        tracing::error!(%error, "creating the session tables in PostgreSQL failed");
        Error::SessionStore
    })?;
    purge_expired(&store);
    let purged = pool.clone();
    purge_index(move || {
        let pool = purged.clone();
        async move { coordination::sql::postgres_purge(&pool).await }
    });
    Ok(AnyStore::Postgres(store, pool))
}

/// The advisory lock the instances of every app take while creating the tables ("oauth_mi").
#[cfg(feature = "postgres")]
const MIGRATION_LOCK: i64 = 0x6f61_7574_685f_6d69;

/// Creates tower-sessions-sqlx-store's tables and the library's, one instance at a time.
///
/// `create ... if not exists` is not safe against itself: two instances starting together both
/// find the schema missing and one fails on the catalog's unique index (tower-sessions-sqlx-store
/// then reports success without creating its table, and the first request fails). A session-level advisory
/// lock on a connection of its own serialises them; closing that connection releases the lock
/// whatever happened.
#[cfg(feature = "postgres")]
async fn postgres_migrate(
    store: &tower_sessions_sqlx_store::PostgresStore,
    pool: &sqlx::PgPool,
) -> Result<(), sqlx::Error> {
    let mut lock = pool.acquire().await?;
    // Waiting for the other instances' migrations may take longer than one request's statement.
    sqlx::query("set statement_timeout = '30s'")
        .execute(&mut *lock)
        .await?;
    sqlx::query("select pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *lock)
        .await?;
    let migrated = async {
        store.migrate().await?;
        coordination::sql::postgres_migrate(pool).await
    }
    .await;
    lock.close().await?;
    migrated
}

#[cfg(feature = "redis")]
async fn redis(url: &str) -> Result<AnyStore, Error> {
    use fred::prelude::{ClientLike as _, Config};
    let invalid = || Error::Config("SESSION_STORE is not a valid redis:// URL".into());
    let (url, cached) = redis_cache_option(url).ok_or_else(invalid)?;
    let (url, tls) = redis_tls_option(url).ok_or_else(invalid)?;
    let mut config = Config::from_url(&url).map_err(|_| invalid())?;
    if tls {
        config.tls = Some(crate::tls::redis_config()?);
    }
    // Cluster mode would need tracking on every node; sessions are then read from Redis.
    let tracking = (cached && !config.server.is_clustered()).then(|| config.clone());
    let pool = redis_builder(config)
        .with_performance_config(|p| p.default_command_timeout = Duration::from_secs(2))
        .build_pool(redis_connections())
        .map_err(|_| Error::SessionStore)?;
    pool.init().await.map_err(|_| Error::SessionStore)?;
    // Logged-in sessions are read on every request: those are the ones worth caching.
    Ok(AnyStore::Redis(
        RedisStore::new(pool, tracking, crate::schema::is_logged_in_session).await,
    ))
}

/// A fred client builder with bounded waits, so that a Redis outage turns into a 503 instead of a
/// hung request, and reconnects that keep trying.
#[cfg(feature = "redis")]
fn redis_builder(config: fred::prelude::Config) -> fred::types::Builder {
    let mut builder = fred::types::Builder::from_config(config);
    builder
        .with_connection_config(|c| {
            c.connection_timeout = Duration::from_secs(2);
            c.internal_command_timeout = Duration::from_secs(2);
            c.max_command_attempts = 1;
        })
        .set_policy(fred::prelude::ReconnectPolicy::new_exponential(
            0, 100, 2_000, 2,
        ));
    builder
}

/// The URL without its `cache` parameter, and whether to cache (`cache=on`, the default, or
/// `cache=off`); `None` for a malformed URL or another `cache` value.
#[cfg(feature = "redis")]
fn redis_cache_option(url: &str) -> Option<(String, bool)> {
    let mut parsed = url::Url::parse(url).ok()?;
    let mut cached = true;
    let mut rest = Vec::new();
    for (key, value) in parsed.query_pairs() {
        match (&*key, &*value) {
            ("cache", "on") => cached = true,
            ("cache", "off") => cached = false,
            ("cache", _) => return None,
            _ => rest.push((key.into_owned(), value.into_owned())),
        }
    }
    if rest.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(rest);
    }
    Some((parsed.into(), cached))
}

/// `rediss://` becomes `redis://` and `true`: fred would build the TLS configuration of a
/// `rediss://` URL itself, on rustls' process-level provider, which panics when the dependency tree
/// compiles two providers and installs one for the whole process otherwise; [`crate::tls`] gives it
/// one that names aws-lc-rs instead. `None` for a malformed URL.
#[cfg(feature = "redis")]
fn redis_tls_option(url: String) -> Option<(String, bool)> {
    let mut parsed = url::Url::parse(&url).ok()?;
    if parsed.scheme() != "rediss" {
        return Some((url, false));
    }
    parsed.set_scheme("redis").ok()?;
    Some((parsed.into(), true))
}

/// One Redis connection per core the process may run on (as many as tokio's default worker
/// threads), at most 8. fred pipelines the commands of one connection, so more connections than
/// cores only add system calls and wake-ups: on two cores, four connections served 25% fewer
/// logged-in requests per second than one (`scripts/bench.sh`, c-redis).
#[cfg(feature = "redis")]
fn redis_connections() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// How long one SQL store operation may take before the request fails closed with 503: a locked
/// session table (a migration, `VACUUM FULL`) or a connection that stalls mid-query would otherwise
/// hold the request until TCP gives up. Redis commands have their own limit (fred's, 2 s).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
const SQL_OPERATION_TIMEOUT: Duration = Duration::from_secs(3);

/// PostgreSQL's `statement_timeout`: a second shorter than [`SQL_OPERATION_TIMEOUT`].
#[cfg(feature = "postgres")]
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(2);

/// `operation`, or a backend error once [`SQL_OPERATION_TIMEOUT`] has passed.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
async fn bounded<T>(
    operation: impl Future<Output = session_store::Result<T>>,
) -> session_store::Result<T> {
    tokio::time::timeout(SQL_OPERATION_TIMEOUT, operation)
        .await
        .unwrap_or_else(|_| {
            Err(session_store::Error::Backend(
                "the session store did not answer in time".into(),
            ))
        })
}

macro_rules! delegate {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            Self::Memory($store) => $call.await,
            #[cfg(feature = "sqlite")]
            Self::Sqlite($store, _) => bounded($call).await,
            #[cfg(feature = "postgres")]
            Self::Postgres($store, _) => bounded($call).await,
            #[cfg(feature = "redis")]
            Self::Redis($store) => $call.await,
        }
    };
}

#[async_trait]
impl SessionStore for AnyStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        delegate!(self, s => s.create(record))
    }
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            // tower-sessions-sqlx-store's `save` is an upsert: it would re-create a session that a
            // logout deleted after this request loaded it.
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_, pool) => bounded(sqlite_update(pool, record)).await,
            #[cfg(feature = "postgres")]
            Self::Postgres(_, pool) => bounded(postgres_update(pool, record)).await,
            Self::Memory(s) => s.save(record).await,
            #[cfg(feature = "redis")]
            Self::Redis(s) => s.save(record).await,
        }
    }
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        delegate!(self, s => s.load(id))
    }
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        delegate!(self, s => s.delete(id))
    }
}

/// A store error that says what failed, never the session's content or id.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn backend(error: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

/// The record as tower-sessions-sqlx-store encodes it (MessagePack of the whole record).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn encode(record: &Record) -> session_store::Result<Vec<u8>> {
    rmp_serde::to_vec(record).map_err(|error| session_store::Error::Encode(error.to_string()))
}

/// Updates the row of a live session in tower-sessions-sqlx-store's SQLite table; no row, no
/// change.
#[cfg(feature = "sqlite")]
async fn sqlite_update(pool: &sqlx::SqlitePool, record: &Record) -> session_store::Result<()> {
    sqlx::query(
        "update tower_sessions set data = ?, expiry_date = ? where id = ? and expiry_date > ?",
    )
    .bind(encode(record)?)
    .bind(record.expiry_date)
    .bind(record.id.to_string())
    .bind(time::OffsetDateTime::now_utc())
    .execute(pool)
    .await
    .map_err(backend)?;
    Ok(())
}

/// Updates the row of a live session in tower-sessions-sqlx-store's PostgreSQL table; no row,
/// no change.
#[cfg(feature = "postgres")]
async fn postgres_update(pool: &sqlx::PgPool, record: &Record) -> session_store::Result<()> {
    sqlx::query(
        r#"update "tower_sessions"."session" set data = $1, expiry_date = $2 where id = $3 and expiry_date > $4"#,
    )
    .bind(encode(record)?)
    .bind(record.expiry_date)
    .bind(record.id.to_string())
    .bind(time::OffsetDateTime::now_utc())
    .execute(pool)
    .await
    .map_err(backend)?;
    Ok(())
}

#[cfg(all(test, feature = "redis"))]
mod tests {
    use super::*;

    #[test]
    fn the_cache_parameter_is_read_and_taken_off_the_redis_url() {
        let option = redis_cache_option;
        assert_eq!(
            option("redis://127.0.0.1:6379"),
            Some(("redis://127.0.0.1:6379".into(), true))
        );
        assert_eq!(
            option("redis://h:1/2?cache=off"),
            Some(("redis://h:1/2".into(), false))
        );
        assert_eq!(
            option("rediss://u:p@h:1?node=a%3A1&cache=on&x=y"),
            Some(("rediss://u:p@h:1?node=a%3A1&x=y".into(), true))
        );
        assert_eq!(option("redis://h:1?cache=maybe"), None);
        assert_eq!(option("not a url"), None);
    }

    #[test]
    fn a_rediss_url_is_read_as_redis_with_tls() {
        assert_eq!(
            redis_tls_option("rediss://u:p@h:1/2?node=a%3A1".into()),
            Some(("redis://u:p@h:1/2?node=a%3A1".into(), true))
        );
        assert_eq!(
            redis_tls_option("redis://h:1".into()),
            Some(("redis://h:1".into(), false))
        );
    }

    #[tokio::test]
    async fn an_unknown_cache_value_is_a_configuration_error() {
        let error = AnyStore::from_url("redis://127.0.0.1:1?cache=yes")
            .await
            .expect_err("cache=yes");
        assert_eq!(error.code(), "config", "{error}");
    }
}
