//! The in-process session store: bounded, expiring, and update-only.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// How many sessions a [`MemoryStore`] holds at most by default.
///
/// ```
/// use axum_oauth_login::store::{MEMORY_CAPACITY, MemoryStore};
/// assert_eq!(MemoryStore::default().capacity(), MEMORY_CAPACITY);
/// ```
pub const MEMORY_CAPACITY: usize = 100_000;

/// Sessions in the process's memory: one instance, lost on restart. The builder's default store.
///
/// Unlike tower-sessions' `MemoryStore`, its memory is bounded, and a logout cannot be undone:
///
/// - **Expired sessions go.** Every write first removes the sessions whose expiry has passed
///   (the oldest first, from an index ordered by expiry), and a load never returns one.
/// - **At most [`capacity`](Self::capacity) sessions.** A new session in a full store evicts the
///   one nearest its expiry: under a flood of anonymous `/login` hits (each a pending login that
///   lives 10 minutes) that is another pending login, not a logged-in user's session, as long as
///   logged-in sessions alone do not fill the store.
/// - **Update-only saves.** [`save`](SessionStore::save) changes a session that is there and
///   does nothing otherwise; only [`create`](SessionStore::create) adds one. A request that loaded
///   a session before its logout and saves it after does not bring it back.
///
/// Clones share the same sessions.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use axum_oauth_login::store::MemoryStore;
/// use tower_sessions::SessionStore;
/// use tower_sessions::session::{Id, Record};
///
/// let store = MemoryStore::with_capacity(2);
/// let mut record = Record {
///     id: Id::default(),
///     data: Default::default(),
///     expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(10),
/// };
/// store.create(&mut record).await.unwrap();
/// assert_eq!(store.len(), 1);
/// store.delete(&record.id).await.unwrap();
/// store.save(&record).await.unwrap(); // a late save: nothing comes back
/// assert!(store.load(&record.id).await.unwrap().is_none());
/// assert!(store.is_empty());
/// # }
/// ```
#[derive(Clone)]
pub struct MemoryStore(Arc<Mutex<Sessions>>);

/// The sessions hold tokens and identities: only the counts are printed.
impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sessions = self.sessions();
        f.debug_struct("MemoryStore")
            .field("len", &sessions.records.len())
            .field("capacity", &sessions.capacity)
            .finish_non_exhaustive()
    }
}

struct Sessions {
    capacity: usize,
    records: HashMap<Id, Record>,
    /// Every record's `(expiry, id)`, nearest expiry first.
    by_expiry: BTreeSet<(OffsetDateTime, i128)>,
    /// Back-channel logout's index: key -> session -> end (Unix seconds).
    index: HashMap<String, HashMap<Id, i64>>,
    /// Back-channel logout's used logout tokens: key -> end.
    used: HashMap<String, i64>,
    /// How many index keys and markers make the next write sweep them.
    sweep_index_at: usize,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::with_capacity(MEMORY_CAPACITY)
    }
}

impl MemoryStore {
    /// A store that holds at most `capacity` sessions (at least one).
    ///
    /// ```
    /// use axum_oauth_login::store::MemoryStore;
    /// let store = MemoryStore::with_capacity(10_000);
    /// assert_eq!(store.capacity(), 10_000);
    /// assert_eq!(MemoryStore::with_capacity(0).capacity(), 1);
    /// ```
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self(Arc::new(Mutex::new(Sessions {
            capacity: capacity.max(1),
            records: HashMap::new(),
            by_expiry: BTreeSet::new(),
            index: HashMap::new(),
            used: HashMap::new(),
            sweep_index_at: capacity.max(1),
        })))
    }

    /// The most sessions it holds.
    ///
    /// ```
    /// use axum_oauth_login::store::{MEMORY_CAPACITY, MemoryStore};
    /// assert_eq!(MemoryStore::default().capacity(), MEMORY_CAPACITY);
    /// ```
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.sessions().capacity
    }

    /// How many sessions it holds now, counting expired ones that no write has removed yet.
    ///
    /// ```
    /// use axum_oauth_login::store::MemoryStore;
    /// assert_eq!(MemoryStore::default().len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.sessions().records.len()
    }

    /// Whether it holds no session.
    ///
    /// ```
    /// use axum_oauth_login::store::MemoryStore;
    /// assert!(MemoryStore::default().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.sessions().records.is_empty()
    }

    fn sessions(&self) -> MutexGuard<'_, Sessions> {
        // A panic elsewhere while the lock was held leaves consistent maps: every change below
        // is a few infallible map operations.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Sessions {
    /// Removes the records whose expiry has passed.
    fn sweep(&mut self, now: OffsetDateTime) {
        while let Some(&(expiry, id)) = self.by_expiry.first() {
            if expiry > now {
                break;
            }
            self.by_expiry.pop_first();
            self.records.remove(&Id(id));
        }
    }

    fn remove(&mut self, id: &Id) {
        if let Some(old) = self.records.remove(id) {
            self.by_expiry.remove(&(old.expiry_date, id.0));
        }
    }

    fn insert(&mut self, record: &Record) {
        self.by_expiry.insert((record.expiry_date, record.id.0));
        self.records.insert(record.id, record.clone());
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let mut sessions = self.sessions();
        sessions.sweep(OffsetDateTime::now_utc());
        while sessions.records.contains_key(&record.id) {
            record.id = Id::default();
        }
        while sessions.records.len() >= sessions.capacity {
            let Some((_, nearest)) = sessions.by_expiry.pop_first() else {
                break;
            };
            sessions.records.remove(&Id(nearest));
        }
        sessions.insert(record);
        Ok(())
    }

    /// Updates the session if it is there (and not expired); otherwise does nothing.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let mut sessions = self.sessions();
        sessions.sweep(OffsetDateTime::now_utc());
        if sessions.records.contains_key(&record.id) {
            sessions.remove(&record.id);
            sessions.insert(record);
        }
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let mut sessions = self.sessions();
        let Some(record) = sessions.records.get(id) else {
            return Ok(None);
        };
        if record.expiry_date > OffsetDateTime::now_utc() {
            return Ok(Some(record.clone()));
        }
        sessions.remove(id);
        Ok(None)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.sessions().remove(id);
        Ok(())
    }
}

/// Entries end by time. A write sweeps the ended ones when the keys and markers reach the
/// capacity, or twice what the last sweep left (so sweeps stay rare however many are live).
#[async_trait]
impl super::coordination::Coordination for MemoryStore {
    async fn index(&self, keys: &[String], session: Id, until: i64) -> session_store::Result<()> {
        let mut sessions = self.sessions();
        sessions.sweep_index(crate::schema::unix_now());
        for key in keys {
            sessions
                .index
                .entry(key.clone())
                .or_default()
                .insert(session, until);
        }
        Ok(())
    }

    async fn unindex(&self, keys: &[String], session: Id) -> session_store::Result<()> {
        let mut sessions = self.sessions();
        for key in keys {
            if let Some(entries) = sessions.index.get_mut(key) {
                entries.remove(&session);
                if entries.is_empty() {
                    sessions.index.remove(key);
                }
            }
        }
        Ok(())
    }

    async fn indexed(&self, key: &str) -> session_store::Result<Vec<Id>> {
        let now = crate::schema::unix_now();
        Ok(self
            .sessions()
            .index
            .get(key)
            .map_or_else(Vec::new, |entries| {
                entries
                    .iter()
                    .filter(|(_, until)| **until > now)
                    .map(|(id, _)| *id)
                    .collect()
            }))
    }

    async fn first_use(&self, key: &str, until: i64) -> session_store::Result<bool> {
        let now = crate::schema::unix_now();
        let mut sessions = self.sessions();
        sessions.sweep_index(now);
        match sessions.used.get(key) {
            Some(end) if *end > now => Ok(false),
            _ => {
                sessions.used.insert(key.to_owned(), until);
                Ok(true)
            }
        }
    }

    async fn release(&self, key: &str) -> session_store::Result<()> {
        self.sessions().used.remove(key);
        Ok(())
    }
}

impl Sessions {
    /// Removes ended index entries and markers (see the `Coordination` impl).
    fn sweep_index(&mut self, now: i64) {
        if self.index.len() + self.used.len() < self.sweep_index_at {
            return;
        }
        self.index.retain(|_, entries| {
            entries.retain(|_, until| *until > now);
            !entries.is_empty()
        });
        self.used.retain(|_, until| *until > now);
        self.sweep_index_at = self.capacity.max(2 * (self.index.len() + self.used.len()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(minutes: i64) -> Record {
        Record {
            id: Id::default(),
            data: HashMap::from([("auth".to_owned(), serde_json::json!("ada"))]),
            expiry_date: OffsetDateTime::now_utc() + time::Duration::minutes(minutes),
        }
    }

    #[tokio::test]
    async fn a_save_updates_a_session_and_never_creates_one() {
        let store = MemoryStore::default();
        let mut ada = record(10);
        store.create(&mut ada).await.unwrap();
        ada.data.insert("k".into(), serde_json::json!(1));
        ada.expiry_date += time::Duration::minutes(5);
        store.save(&ada).await.unwrap();
        assert_eq!(store.load(&ada.id).await.unwrap().as_ref(), Some(&ada));
        assert_eq!(
            store.sessions().by_expiry.len(),
            1,
            "the old expiry is gone"
        );

        store.delete(&ada.id).await.unwrap();
        store.save(&ada).await.unwrap();
        assert_eq!(
            store.load(&ada.id).await.unwrap(),
            None,
            "deleted stays deleted"
        );
        let never_created = record(10);
        store.save(&never_created).await.unwrap();
        assert!(store.is_empty());
        assert!(store.sessions().by_expiry.is_empty());
    }

    #[tokio::test]
    async fn expired_sessions_are_never_loaded_nor_saved_and_a_write_sweeps_them() {
        let store = MemoryStore::default();
        let (old, older, mut live) = (record(-1), record(-2), record(10));
        // Records that expired while the store held them.
        for r in [&old, &older] {
            store.sessions().insert(r);
        }
        assert_eq!(store.len(), 2, "nothing swept them yet");
        assert_eq!(store.load(&old.id).await.unwrap(), None);
        assert_eq!(store.len(), 1, "a load drops the expired record it finds");
        store.create(&mut live).await.unwrap();
        assert_eq!(store.len(), 1, "the write swept the other one");
        assert_eq!(store.sessions().by_expiry.len(), 1);
        assert!(store.load(&live.id).await.unwrap().is_some());

        // A session that expired between its load and its save is not brought back.
        let mut lapsed = record(10);
        store.create(&mut lapsed).await.unwrap();
        let id = lapsed.id;
        {
            let mut sessions = store.sessions();
            sessions.remove(&id);
            lapsed.expiry_date = OffsetDateTime::now_utc() - time::Duration::seconds(1);
            sessions.insert(&lapsed);
        }
        lapsed.expiry_date = OffsetDateTime::now_utc() + time::Duration::minutes(10);
        store.save(&lapsed).await.unwrap();
        assert_eq!(store.load(&id).await.unwrap(), None);
        assert_eq!(store.len(), 1);
    }

    #[tokio::test]
    async fn a_full_store_evicts_the_sessions_nearest_their_expiry() {
        let store = MemoryStore::with_capacity(3);
        let mut logged_in = record(14 * 24 * 60);
        store.create(&mut logged_in).await.unwrap();
        let mut pending: Vec<Record> = (1..=2).map(record).collect();
        for r in &mut pending {
            store.create(r).await.unwrap();
        }
        assert_eq!(store.len(), 3);
        let mut newcomer = record(10);
        store.create(&mut newcomer).await.unwrap();
        assert_eq!(store.len(), 3, "the capacity holds");
        assert_eq!(
            store.load(&pending[0].id).await.unwrap(),
            None,
            "nearest expiry went"
        );
        for kept in [&pending[1], &logged_in, &newcomer] {
            assert!(store.load(&kept.id).await.unwrap().is_some());
        }
        // A flood of new sessions never evicts the longest-lived one.
        for _ in 0..100 {
            store.create(&mut record(10)).await.unwrap();
        }
        assert_eq!(store.len(), 3);
        assert!(store.load(&logged_in.id).await.unwrap().is_some());
        assert_eq!(
            store.sessions().by_expiry.len(),
            3,
            "the index follows the map"
        );
    }

    #[tokio::test]
    async fn debug_output_shows_counts_not_sessions() {
        let store = MemoryStore::with_capacity(7);
        store.create(&mut record(10)).await.unwrap();
        let printed = format!("{store:?}");
        assert_eq!(printed, "MemoryStore { len: 1, capacity: 7, .. }");
    }

    #[tokio::test]
    async fn the_logout_index_files_sessions_until_their_end_and_marks_once() {
        use crate::store::Coordination as _;
        let store = MemoryStore::with_capacity(2);
        let now = crate::schema::unix_now();
        let (a, b) = (Id::default(), Id::default());
        let keys = ["sid".to_owned(), "sub".to_owned()];
        store.index(&keys, a, now + 60).await.unwrap();
        store.index(&keys[1..], b, now + 60).await.unwrap();
        assert_eq!(store.indexed("sid").await.unwrap(), [a]);
        let mut both = store.indexed("sub").await.unwrap();
        both.sort_by_key(|id| id.0);
        let mut expected = vec![a, b];
        expected.sort_by_key(|id| id.0);
        assert_eq!(both, expected);
        store.unindex(&keys, a).await.unwrap();
        assert!(store.indexed("sid").await.unwrap().is_empty());
        assert_eq!(store.indexed("sub").await.unwrap(), [b]);
        // An entry past its end is not listed, and a sweep removes it.
        store.index(&keys[..1], b, now - 1).await.unwrap();
        assert!(store.indexed("sid").await.unwrap().is_empty());
        {
            let mut sessions = store.sessions();
            sessions.sweep_index_at = 0;
            sessions.sweep_index(now);
            assert!(!sessions.index.contains_key("sid"));
            assert!(sessions.index.contains_key("sub"), "live entries stay");
        }

        assert!(store.first_use("jti", now + 60).await.unwrap());
        assert!(!store.first_use("jti", now + 60).await.unwrap(), "a replay");
        store.release("jti").await.unwrap();
        assert!(
            store.first_use("jti", now + 60).await.unwrap(),
            "a released mark (a lease given back) is free"
        );
        assert!(store.first_use("other", now + 60).await.unwrap());
        store.sessions().used.insert("old".into(), now - 1);
        assert!(
            store.first_use("old", now + 60).await.unwrap(),
            "an ended mark is reused"
        );
    }

    #[tokio::test]
    async fn a_colliding_id_gets_a_new_one() {
        let store = MemoryStore::default();
        let mut first = record(10);
        store.create(&mut first).await.unwrap();
        let mut second = record(10);
        second.id = first.id;
        store.create(&mut second).await.unwrap();
        assert_ne!(first.id, second.id);
        assert_eq!(store.len(), 2);
    }
}
