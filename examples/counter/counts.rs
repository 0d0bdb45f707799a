//! The counts table. Handlers only ever see [`UserCounts`], which is bound to the logged-in user,
//! as FastHTML's `counts.xtra(name=auth)`: no query can reach another user's row.

use axum::extract::{FromRequestParts, State};
use axum::http::{StatusCode, request::Parts};
use axum::response::{IntoResponse, Response};
use axum_oauth_login::Ident;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

/// Opens (and creates) the database file.
pub async fn open(path: &str) -> Result<SqlitePool, sqlx::Error> {
    if let Some(dir) = std::path::Path::new(path).parent() {
        std::fs::create_dir_all(dir)?;
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    let db = SqlitePoolOptions::new().connect_with(options).await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS counts (name TEXT PRIMARY KEY, count INTEGER NOT NULL)",
    )
    .execute(&db)
    .await?;
    Ok(db)
}

/// Gives a new user their row.
pub async fn create_if_missing(db: &SqlitePool, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT OR IGNORE INTO counts (name, count) VALUES (?, 0)")
        .bind(name)
        .execute(db)
        .await?;
    Ok(())
}

/// The logged-in user's counter: every query is scoped to their name.
pub struct UserCounts {
    db: SqlitePool,
    name: String,
}

impl UserCounts {
    pub async fn get(&self) -> Result<i64, DbError> {
        let count = sqlx::query_scalar("SELECT count FROM counts WHERE name = ?")
            .bind(&self.name)
            .fetch_optional(&self.db)
            .await?;
        Ok(count.unwrap_or(0))
    }

    pub async fn increment(&self) -> Result<i64, DbError> {
        let count = sqlx::query_scalar(
            "INSERT INTO counts (name, count) VALUES (?, 1)
             ON CONFLICT(name) DO UPDATE SET count = count + 1 RETURNING count",
        )
        .bind(&self.name)
        .fetch_one(&self.db)
        .await?;
        Ok(count)
    }
}

impl FromRequestParts<SqlitePool> for UserCounts {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, db: &SqlitePool) -> Result<Self, Response> {
        let Ident(name) = Ident::from_request_parts(parts, db).await?;
        let State(db) = State::<SqlitePool>::from_request_parts(parts, db)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self { db, name })
    }
}

/// A database failure: logged, shown as a plain 500 without details.
#[derive(Debug)]
pub struct DbError(sqlx::Error);

impl From<sqlx::Error> for DbError {
    fn from(error: sqlx::Error) -> Self {
        Self(error)
    }
}

impl IntoResponse for DbError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self.0, "database error");
        (StatusCode::INTERNAL_SERVER_ERROR, "database error").into_response()
    }
}
