//! A logout stays a logout under concurrent writes (issue: "logout undone by a concurrent write").
//!
//! Requests of one session run concurrently, each with its own copy of the session. `/login`
//! writes a pending login into it; a `/login` that loaded the session before a `POST /logout` and
//! saves it after must not write the old session (logged-in identity included) back: every
//! store's `save` only updates a session that is there.
//!
//! Each store (memory, SQLite file, PostgreSQL, Redis) runs [`ROUNDS`] rounds: log in, then
//! [`WRITERS`] concurrent `/login` page navigations on that cookie with a `POST /logout` sent in
//! their middle, then the old cookie must get the 303 to the login page. Every `/login` must be
//! answered 200 (a late save of a deleted session is a quiet no-op, not a 503). The failures of
//! each store are counted and printed, then asserted to be zero.

use tower_sessions::SessionStore;
use tower_sessions::cookie::time;
use tower_sessions::session::{Id, Record};

use super::*;

const ROUNDS: usize = 50;
const WRITERS: usize = 32;

/// A fresh SQLite file of its own; the directory to remove afterwards. On a tmpfs when there is
/// one: SQLite syncs every commit, and a disk saturated by parallel builds can stall a sync past
/// the store's 3-second bound (a 503 that has nothing to do with the race under test).
fn sqlite_url(what: &str) -> (String, std::path::PathBuf) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let shm = std::path::Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("oauth-{what}-{}-{nanos}", std::process::id()));
    let url = format!("sqlite://{}", dir.join("sessions.db").display());
    (url, dir)
}

/// One `/login` page navigation with `cookie` (it writes a pending login into the session).
async fn write_session(client: reqwest::Client, url: String, cookie: String) -> StatusCode {
    client
        .get(url)
        .header("cookie", cookie)
        .header("accept", "text/html")
        .header("sec-fetch-mode", "navigate")
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .map_or(StatusCode::BAD_GATEWAY, |res| res.status())
}

/// One round; `Err` says what went wrong.
async fn round(server: &common::Server) -> Result<(), String> {
    let cookie = log_in_ada(server).await;
    let private = format!("{}/private", server.base);
    if status_with_cookie(&private, &cookie).await != StatusCode::OK {
        return Err("not logged in after the login".into());
    }
    let client = bare_client();
    let login = format!("{}/login?next=%2Fprivate", server.base);
    let mut writers = Vec::with_capacity(WRITERS);
    let mut logout = None;
    for i in 0..WRITERS {
        if i == WRITERS / 2 {
            let out = client
                .post(format!("{}/logout", server.base))
                .header("cookie", cookie.clone())
                .header("sec-fetch-site", "same-origin")
                .send();
            logout = Some(tokio::spawn(out));
        }
        writers.push(tokio::spawn(write_session(
            client.clone(),
            login.clone(),
            cookie.clone(),
        )));
    }
    let logout = logout.expect("sent").await.expect("the logout task");
    let mut answers = Vec::new();
    for writer in writers {
        answers.push(writer.await.expect("a writer task"));
    }
    match logout {
        Ok(res) if res.status() == StatusCode::SEE_OTHER => {}
        Ok(res) => return Err(format!("the logout answered {}", res.status())),
        Err(error) => return Err(format!("the logout failed: {error}")),
    }
    let odd: Vec<_> = answers.iter().filter(|s| **s != StatusCode::OK).collect();
    if !odd.is_empty() {
        return Err(format!("/login answered {odd:?}"));
    }
    let after = get_with_cookie(&private, &cookie).await;
    let location = after
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if after.status() != StatusCode::SEE_OTHER || !location.starts_with("/login") {
        return Err(format!(
            "the old cookie still gets {} (Location {location:?}): the logout was undone",
            after.status()
        ));
    }
    Ok(())
}

/// [`ROUNDS`] rounds on one instance of the site on `store`; asserts none failed.
async fn logout_holds(store: AnyStore, what: &str) {
    let server = instance(&store, key()).await;
    let mut failures = Vec::new();
    for n in 0..ROUNDS {
        if let Err(why) = round(&server).await {
            failures.push(format!("round {n}: {why}"));
        }
    }
    println!(
        "FIGURES logout race, {what}: {} of {ROUNDS} rounds failed",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{what}: {} of {ROUNDS} rounds failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_holds_against_concurrent_writes_memory() {
    logout_holds(open("memory", "memory").await, "memory").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_holds_against_concurrent_writes_sqlite() {
    let (url, dir) = sqlite_url("race");
    logout_holds(open(&url, "SQLite").await, "SQLite").await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_holds_against_concurrent_writes_postgres() {
    logout_holds(open(POSTGRES_URL, "PostgreSQL").await, "PostgreSQL").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_holds_against_concurrent_writes_redis() {
    logout_holds(open(REDIS_URL, "Redis").await, "Redis").await;
}

// --- The store contract, directly --------------------------------------------------------------

/// A save after a delete neither fails nor brings the session back; a save of a session that is
/// there updates it.
async fn save_after_delete_does_not_recreate(store: AnyStore, what: &str) {
    let mut record = Record {
        id: Id::default(),
        data: [("auth".to_owned(), serde_json::json!("ada"))].into(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    store.create(&mut record).await.expect("create");
    record.data.insert("k".into(), serde_json::json!(1));
    store.save(&record).await.expect("an update");
    let loaded = store.load(&record.id).await.expect("load");
    assert_eq!(
        loaded.map(|r| r.data),
        Some(record.data.clone()),
        "{what}: updated"
    );

    store.delete(&record.id).await.expect("delete");
    store
        .save(&record)
        .await
        .unwrap_or_else(|e| panic!("{what}: a late save must be a quiet no-op, got {e}"));
    assert_eq!(
        store.load(&record.id).await.expect("load"),
        None,
        "{what}: the save re-created a deleted session"
    );
    // Nor is a session that was never created made by a save.
    let never = Record {
        id: Id::default(),
        ..record.clone()
    };
    store.save(&never).await.expect("a save of nothing");
    assert_eq!(store.load(&never.id).await.expect("load"), None, "{what}");
}

#[tokio::test]
async fn a_save_after_delete_does_not_recreate_the_session_memory() {
    save_after_delete_does_not_recreate(open("memory", "memory").await, "memory").await;
}

#[tokio::test]
async fn a_save_after_delete_does_not_recreate_the_session_sqlite() {
    let (url, dir) = sqlite_url("save");
    save_after_delete_does_not_recreate(open(&url, "SQLite").await, "SQLite").await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_save_after_delete_does_not_recreate_the_session_postgres() {
    save_after_delete_does_not_recreate(open(POSTGRES_URL, "PostgreSQL").await, "PostgreSQL").await;
}

#[tokio::test]
async fn a_save_after_delete_does_not_recreate_the_session_redis() {
    for url in [REDIS_URL.to_owned(), format!("{REDIS_URL}?cache=off")] {
        save_after_delete_does_not_recreate(open(&url, "Redis").await, &url).await;
    }
}
