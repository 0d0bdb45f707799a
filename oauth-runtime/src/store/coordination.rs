//! What the library needs of a store beside the sessions, shared by every instance that shares
//! the store:
//!
//! - back-channel logout's index from a provider's session (`sid`) or user (`sub`) to the
//!   sessions logged in with it, and its record of the logout tokens already used (`jti`);
//! - markers with an end, used once (a `jti`) or as a lease given back when done (one refresh
//!   per session across instances, see `vault::refresh`).
//!
//! Keys are opaque strings made by the callers (index keys: a hash of the issuer and the value);
//! times are Unix seconds on this instance's clock.

use async_trait::async_trait;
use tower_sessions::session::Id;
use tower_sessions::session_store;

/// An index from keys to session ids, and markers (single use, or leases).
#[async_trait]
pub(crate) trait Coordination: Send + Sync + std::fmt::Debug {
    /// Files `session` under each of `keys` until `until` (or moves its entries' end there).
    async fn index(&self, keys: &[String], session: Id, until: i64) -> session_store::Result<()>;
    /// Takes `session` out of `keys`.
    async fn unindex(&self, keys: &[String], session: Id) -> session_store::Result<()>;
    /// The sessions filed under `key` whose entries have not ended.
    async fn indexed(&self, key: &str) -> session_store::Result<Vec<Id>>;
    /// Marks `key` used until `until`: `true` the first time, `false` while it is marked.
    async fn first_use(&self, key: &str, until: i64) -> session_store::Result<bool>;
    /// Takes the marker of `key` off before its end (a lease given back).
    async fn release(&self, key: &str) -> session_store::Result<()>;
}

#[async_trait]
impl Coordination for super::AnyStore {
    async fn index(&self, keys: &[String], session: Id, until: i64) -> session_store::Result<()> {
        match self {
            Self::Memory(s) => s.index(keys, session, until).await,
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_, pool) => {
                super::bounded(sql::sqlite_index(pool, keys, session, until)).await
            }
            #[cfg(feature = "postgres")]
            Self::Postgres(_, pool) => {
                super::bounded(sql::postgres_index(pool, keys, session, until)).await
            }
            #[cfg(feature = "redis")]
            Self::Redis(s) => s.index(keys, session, until).await,
        }
    }

    async fn unindex(&self, keys: &[String], session: Id) -> session_store::Result<()> {
        match self {
            Self::Memory(s) => s.unindex(keys, session).await,
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_, pool) => super::bounded(sql::sqlite_unindex(pool, keys, session)).await,
            #[cfg(feature = "postgres")]
            Self::Postgres(_, pool) => {
                super::bounded(sql::postgres_unindex(pool, keys, session)).await
            }
            #[cfg(feature = "redis")]
            Self::Redis(s) => s.unindex(keys, session).await,
        }
    }

    async fn indexed(&self, key: &str) -> session_store::Result<Vec<Id>> {
        match self {
            Self::Memory(s) => s.indexed(key).await,
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_, pool) => super::bounded(sql::sqlite_indexed(pool, key)).await,
            #[cfg(feature = "postgres")]
            Self::Postgres(_, pool) => super::bounded(sql::postgres_indexed(pool, key)).await,
            #[cfg(feature = "redis")]
            Self::Redis(s) => s.indexed(key).await,
        }
    }

    async fn first_use(&self, key: &str, until: i64) -> session_store::Result<bool> {
        match self {
            Self::Memory(s) => s.first_use(key, until).await,
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_, pool) => super::bounded(sql::sqlite_first_use(pool, key, until)).await,
            #[cfg(feature = "postgres")]
            Self::Postgres(_, pool) => {
                super::bounded(sql::postgres_first_use(pool, key, until)).await
            }
            #[cfg(feature = "redis")]
            Self::Redis(s) => s.first_use(key, until).await,
        }
    }

    async fn release(&self, key: &str) -> session_store::Result<()> {
        match self {
            Self::Memory(s) => s.release(key).await,
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_, pool) => super::bounded(sql::sqlite_release(pool, key)).await,
            #[cfg(feature = "postgres")]
            Self::Postgres(_, pool) => super::bounded(sql::postgres_release(pool, key)).await,
            #[cfg(feature = "redis")]
            Self::Redis(s) => s.release(key).await,
        }
    }
}

/// The index's tables beside tower-sessions-sqlx-store's, created at start-up, purged with it.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(super) mod sql {
    use tower_sessions::session::Id;
    use tower_sessions::session_store;

    use super::super::backend;
    use crate::schema::unix_now;

    /// Creates the PostgreSQL tables (in tower-sessions-sqlx-store's schema).
    #[cfg(feature = "postgres")]
    pub(crate) async fn postgres_migrate(pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
        sqlx::query(
            r#"create table if not exists "tower_sessions"."oauth_logout_index" (
                key text not null, session_id text not null, until bigint not null,
                primary key (key, session_id))"#,
        )
        .execute(pool)
        .await?;
        sqlx::query(
            r#"create table if not exists "tower_sessions"."oauth_used_once" (
                key text primary key, until bigint not null)"#,
        )
        .execute(pool)
        .await?;
        Ok(())
    }

    #[cfg(feature = "postgres")]
    pub(crate) async fn postgres_purge(pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
        let now = unix_now();
        sqlx::query(r#"delete from "tower_sessions"."oauth_logout_index" where until <= $1"#)
            .bind(now)
            .execute(pool)
            .await?;
        sqlx::query(r#"delete from "tower_sessions"."oauth_used_once" where until <= $1"#)
            .bind(now)
            .execute(pool)
            .await?;
        Ok(())
    }

    #[cfg(feature = "postgres")]
    pub(crate) async fn postgres_index(
        pool: &sqlx::PgPool,
        keys: &[String],
        session: Id,
        until: i64,
    ) -> session_store::Result<()> {
        for key in keys {
            sqlx::query(
                r#"insert into "tower_sessions"."oauth_logout_index" (key, session_id, until)
                   values ($1, $2, $3)
                   on conflict (key, session_id) do update set until = excluded.until"#,
            )
            .bind(key)
            .bind(session.to_string())
            .bind(until)
            .execute(pool)
            .await
            .map_err(backend)?;
        }
        Ok(())
    }

    #[cfg(feature = "postgres")]
    pub(crate) async fn postgres_unindex(
        pool: &sqlx::PgPool,
        keys: &[String],
        session: Id,
    ) -> session_store::Result<()> {
        sqlx::query(
            r#"delete from "tower_sessions"."oauth_logout_index" where key = any($1) and session_id = $2"#,
        )
        .bind(keys)
        .bind(session.to_string())
        .execute(pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    #[cfg(feature = "postgres")]
    pub(crate) async fn postgres_indexed(
        pool: &sqlx::PgPool,
        key: &str,
    ) -> session_store::Result<Vec<Id>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            r#"select session_id from "tower_sessions"."oauth_logout_index" where key = $1 and until > $2"#,
        )
        .bind(key)
        .bind(unix_now())
        .fetch_all(pool)
        .await
        .map_err(backend)?;
        Ok(ids(rows))
    }

    #[cfg(feature = "postgres")]
    pub(crate) async fn postgres_first_use(
        pool: &sqlx::PgPool,
        key: &str,
        until: i64,
    ) -> session_store::Result<bool> {
        // A marker past its end is taken over, as if it had been purged.
        let done = sqlx::query(
            r#"insert into "tower_sessions"."oauth_used_once" as used (key, until) values ($1, $2)
               on conflict (key) do update set until = excluded.until where used.until <= $3"#,
        )
        .bind(key)
        .bind(until)
        .bind(unix_now())
        .execute(pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    #[cfg(feature = "postgres")]
    pub(crate) async fn postgres_release(
        pool: &sqlx::PgPool,
        key: &str,
    ) -> session_store::Result<()> {
        sqlx::query(r#"delete from "tower_sessions"."oauth_used_once" where key = $1"#)
            .bind(key)
            .execute(pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Creates the SQLite tables.
    #[cfg(feature = "sqlite")]
    pub(crate) async fn sqlite_migrate(pool: &sqlx::SqlitePool) -> Result<(), sqlx::Error> {
        sqlx::query(
            "create table if not exists oauth_logout_index (
                key text not null, session_id text not null, until integer not null,
                primary key (key, session_id))",
        )
        .execute(pool)
        .await?;
        sqlx::query(
            "create table if not exists oauth_used_once (key text primary key, until integer not null)",
        )
        .execute(pool)
        .await?;
        Ok(())
    }

    #[cfg(feature = "sqlite")]
    pub(crate) async fn sqlite_purge(pool: &sqlx::SqlitePool) -> Result<(), sqlx::Error> {
        let now = unix_now();
        sqlx::query("delete from oauth_logout_index where until <= ?")
            .bind(now)
            .execute(pool)
            .await?;
        sqlx::query("delete from oauth_used_once where until <= ?")
            .bind(now)
            .execute(pool)
            .await?;
        Ok(())
    }

    #[cfg(feature = "sqlite")]
    pub(crate) async fn sqlite_index(
        pool: &sqlx::SqlitePool,
        keys: &[String],
        session: Id,
        until: i64,
    ) -> session_store::Result<()> {
        for key in keys {
            sqlx::query(
                "insert into oauth_logout_index (key, session_id, until) values (?, ?, ?)
                 on conflict (key, session_id) do update set until = excluded.until",
            )
            .bind(key)
            .bind(session.to_string())
            .bind(until)
            .execute(pool)
            .await
            .map_err(backend)?;
        }
        Ok(())
    }

    #[cfg(feature = "sqlite")]
    pub(crate) async fn sqlite_unindex(
        pool: &sqlx::SqlitePool,
        keys: &[String],
        session: Id,
    ) -> session_store::Result<()> {
        for key in keys {
            sqlx::query("delete from oauth_logout_index where key = ? and session_id = ?")
                .bind(key)
                .bind(session.to_string())
                .execute(pool)
                .await
                .map_err(backend)?;
        }
        Ok(())
    }

    #[cfg(feature = "sqlite")]
    pub(crate) async fn sqlite_indexed(
        pool: &sqlx::SqlitePool,
        key: &str,
    ) -> session_store::Result<Vec<Id>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("select session_id from oauth_logout_index where key = ? and until > ?")
                .bind(key)
                .bind(unix_now())
                .fetch_all(pool)
                .await
                .map_err(backend)?;
        Ok(ids(rows))
    }

    #[cfg(feature = "sqlite")]
    pub(crate) async fn sqlite_first_use(
        pool: &sqlx::SqlitePool,
        key: &str,
        until: i64,
    ) -> session_store::Result<bool> {
        let done = sqlx::query(
            "insert into oauth_used_once (key, until) values (?, ?)
             on conflict (key) do update set until = excluded.until where oauth_used_once.until <= ?",
        )
        .bind(key)
        .bind(until)
        .bind(unix_now())
        .execute(pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    #[cfg(feature = "sqlite")]
    pub(crate) async fn sqlite_release(
        pool: &sqlx::SqlitePool,
        key: &str,
    ) -> session_store::Result<()> {
        sqlx::query("delete from oauth_used_once where key = ?")
            .bind(key)
            .execute(pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    fn ids(rows: Vec<(String,)>) -> Vec<Id> {
        rows.into_iter()
            .filter_map(|(id,)| id.parse().ok())
            .collect()
    }
}
