//! Redis with the session cache on, under faults: a restart, a failover to a promoted replica,
//! connections cut mid-command, a frozen server; and the tracking connection coming back with
//! its old `CLIENT ID`. After each, a session deleted in Redis (a logout on another instance) is
//! refused, at the latest [`CACHE_LEASE`] after the delete, and no live session is lost.
//!
//! Each test runs its own `redis-server` (on `PATH`) on a free port, in a temporary directory,
//! behind a [`Proxy`]; the server is killed when the test ends, also on a panic. Each prints its
//! figures: how long the deleted session was still served, how many requests failed closed (503).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

use super::*;

/// A private `redis-server` in a temporary directory; killed (and the directory removed) on drop.
struct RedisServer {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl RedisServer {
    async fn start() -> Self {
        let port = common::free_port();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("oauth-redis-{}-{port}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("a temporary directory {}: {e}", dir.display()));
        let mut server = Self {
            port,
            dir,
            child: None,
        };
        server.run().await;
        server
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Starts the server on its port and directory (loading what it saved there) and waits until
    /// it answers `PING`.
    async fn run(&mut self) {
        assert!(self.child.is_none(), "already running");
        let port = self.port.to_string();
        let dir = self.dir.display().to_string();
        let log = self.dir.join("redis.log").display().to_string();
        // No save points: the data is saved by `SHUTDOWN SAVE` only.
        let args = [
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--dir",
            &dir,
            "--dbfilename",
            "dump.rdb",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--logfile",
            &log,
        ];
        let child = Command::new("redis-server")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server on PATH (Debian: apt-get install redis-server)");
        self.child = Some(child);
        let started = Instant::now();
        while !self.pongs().await {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server on port {port} did not answer within 10 s (see {log})"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn pongs(&self) -> bool {
        let Ok(Ok(mut stream)) =
            tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(self.addr())).await
        else {
            return false;
        };
        if stream.write_all(b"*1\r\n$4\r\nPING\r\n").await.is_err() {
            return false;
        }
        let mut reply = [0u8; 7];
        matches!(
            tokio::time::timeout(Duration::from_secs(1), stream.read_exact(&mut reply)).await,
            Ok(Ok(_)) if &reply == b"+PONG\r\n"
        )
    }

    /// `SHUTDOWN SAVE`: Redis writes its data to disk and exits.
    async fn shutdown_save(&mut self) {
        let mut stream = TcpStream::connect(self.addr()).await.expect("the server");
        stream
            .write_all(b"*2\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n")
            .await
            .unwrap();
        let mut rest = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest)).await;
        let mut child = self.child.take().expect("running");
        let started = Instant::now();
        while child.try_wait().expect("the server's status").is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not exit after SHUTDOWN SAVE"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(self.dir.join("dump.rdb").exists(), "SHUTDOWN SAVE saved");
    }

    /// Sends a signal (`-STOP`, `-CONT`) to the server.
    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let status = Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(status.success(), "kill {signal} {pid}");
    }

    /// The id of the session cache's tracking connection (the one client in RESP3).
    async fn tracker_id(&self) -> i64 {
        let clients = common::redis_command_at(&self.addr(), 0, &["CLIENT", "LIST"]).await;
        let trackers: Vec<i64> = clients
            .lines()
            .filter(|line| line.split(' ').any(|field| field == "resp=3"))
            .filter_map(|line| line.strip_prefix("id=")?.split(' ').next()?.parse().ok())
            .collect();
        assert_eq!(trackers.len(), 1, "one tracking connection: {clients}");
        trackers[0]
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGKILL also ends a stopped process.
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A site on the Redis behind `proxy`, with the cache on.
async fn site(proxy: &Proxy) -> common::Server {
    let store = open(
        &format!("redis://127.0.0.1:{}", proxy.port),
        "a private Redis",
    )
    .await;
    let AnyStore::Redis(redis) = &store else {
        panic!("not a Redis store")
    };
    assert!(redis.is_cached());
    instance(&store, key()).await
}

/// Logs `name` in; the `Cookie` header.
async fn log_in(server: &common::Server, name: &str) -> String {
    let browser = Browser::new();
    let done = browser.dev_login(&server.base, name).await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    browser
        .cookie_header(&server.base)
        .expect("a session cookie")
}

/// Requests `url` until the session is served from the cache (no `GET` through the proxy).
async fn cached(proxy: &Proxy, url: &str, cookie: &str) {
    for _ in 0..50 {
        let before = proxy.gets();
        assert_eq!(status_with_cookie(url, cookie).await, StatusCode::OK);
        if proxy.gets() == before {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the session is never served from the cache");
}

/// Waits (`limit` at most) until `url` answers `want` to `cookie`; how long that took.
async fn until_status(url: &str, cookie: &str, want: StatusCode, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let status = tokio::time::timeout(FAIL_CLOSED_WITHIN, status_with_cookie(url, cookie))
            .await
            .ok();
        if status == Some(want) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "still {status:?} instead of {want} after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits (10 s at most) until `done`; `what` says what is wrong if it never is.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{what} after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Deletes a session in Redis, as a logout on another instance does; when Redis has done it.
async fn delete(redis: &RedisServer, cookie: &str) -> Instant {
    let id = session_id(cookie, &key());
    assert_eq!(
        common::redis_command_at(&redis.addr(), 0, &["DEL", &id]).await,
        ":1\r\n",
        "the session was in Redis"
    );
    Instant::now()
}

/// One request of the [`Probe`].
struct Sample {
    user: &'static str,
    started: Instant,
    ended: Instant,
    /// `None`: no answer within [`FAIL_CLOSED_WITHIN`].
    status: Option<StatusCode>,
}

/// Requests a protected page with each user's cookie, one after the other per user, until
/// stopped, and keeps every answer.
struct Probe {
    samples: Arc<Mutex<Vec<Sample>>>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Probe {
    fn start(url: &str, users: &[(&'static str, &str)]) -> Self {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = watch::channel(false);
        let tasks = users
            .iter()
            .map(|&(user, cookie)| {
                let (url, cookie) = (url.to_owned(), cookie.to_owned());
                let (samples, stopped) = (samples.clone(), stopped.clone());
                tokio::spawn(async move {
                    while !*stopped.borrow() {
                        let started = Instant::now();
                        let status = tokio::time::timeout(
                            FAIL_CLOSED_WITHIN,
                            status_with_cookie(&url, &cookie),
                        )
                        .await
                        .ok();
                        samples.lock().unwrap().push(Sample {
                            user,
                            started,
                            ended: Instant::now(),
                            status,
                        });
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                })
            })
            .collect();
        Self {
            samples,
            stop,
            tasks,
        }
    }

    /// Whether some answer to `user`'s request that started after `since` is `status`.
    fn saw(&self, user: &str, since: Instant, status: StatusCode) -> bool {
        self.samples
            .lock()
            .unwrap()
            .iter()
            .any(|s| s.user == user && s.started >= since && s.status == Some(status))
    }

    async fn stop(self) -> Vec<Sample> {
        self.stop.send_replace(true);
        for task in self.tasks {
            task.await.expect("the probe");
        }
        Arc::try_unwrap(self.samples)
            .ok()
            .expect("the probe's samples")
            .into_inner()
            .unwrap()
    }
}

/// What a fault did to the probe's requests. "ada"'s session is deleted at `deleted`, "bob"'s is
/// live throughout.
struct Figures {
    /// The last request for the deleted session that got the logged-in page: its start, after
    /// the delete.
    served_after_delete: Option<Duration>,
    /// The first refusal (303) of the deleted session after the delete.
    refused_after: Duration,
    failed_closed: usize,
    requests: usize,
    longest: Duration,
}

/// Checks every answer: none hung, the live session never refused, the deleted one never served
/// to a request that started [`CACHE_LEASE`] or more after the delete; and sums them up.
fn figures(fault: &str, samples: &[Sample], deleted: Instant) -> Figures {
    let mut served_after_delete = None;
    let mut refused_after = None;
    let mut failed_closed = 0;
    let mut longest = Duration::ZERO;
    for s in samples {
        let took = s.ended - s.started;
        longest = longest.max(took);
        let Some(status) = s.status else {
            panic!("{fault}: a request for {} hung for {took:?}", s.user);
        };
        let after_delete = s.started.checked_duration_since(deleted);
        match (s.user, status) {
            (_, StatusCode::SERVICE_UNAVAILABLE) => failed_closed += 1,
            ("bob", StatusCode::OK) => {}
            ("bob", status) => panic!("{fault}: the live session got {status}"),
            ("ada", StatusCode::OK) => {
                if let Some(after) = after_delete {
                    assert!(
                        after < CACHE_LEASE,
                        "{fault}: the deleted session was served to a request that started \
                         {after:?} after the delete (lease {CACHE_LEASE:?})"
                    );
                    served_after_delete = served_after_delete.max(Some(after));
                }
            }
            ("ada", StatusCode::SEE_OTHER) => {
                assert!(
                    s.ended > deleted,
                    "{fault}: the session was refused before it was deleted"
                );
                if refused_after.is_none() {
                    refused_after = Some(s.ended - deleted);
                }
            }
            (user, status) => panic!("{fault}: {user} got {status}"),
        }
    }
    Figures {
        served_after_delete,
        refused_after: refused_after
            .unwrap_or_else(|| panic!("{fault}: the deleted session was never refused")),
        failed_closed,
        requests: samples.len(),
        longest,
    }
}

impl Figures {
    fn print(&self, fault: &str, live_back_after: Duration) {
        println!(
            "FAULT {fault}: deleted session refused {:.1?} after the DEL (last served to a \
             request started {} after it; lease {CACHE_LEASE:?}); {} of {} requests failed \
             closed (503), longest request {:.1?}; live session accepted again {:.1?} after \
             the fault",
            self.refused_after,
            self.served_after_delete
                .map_or("never".to_owned(), |d| format!("{d:.1?}")),
            self.failed_closed,
            self.requests,
            self.longest,
            live_back_after,
        );
    }
}

/// A site on a private Redis behind a proxy, "ada" and "bob" logged in and cached.
struct Scene {
    redis: RedisServer,
    proxy: Proxy,
    /// Serves until the scene is dropped.
    _server: common::Server,
    private: String,
    ada: String,
    bob: String,
}

impl Scene {
    /// `pin`: the proxy gives a reconnected tracking connection its old `CLIENT ID`.
    async fn new(pin: bool) -> Self {
        let redis = RedisServer::start().await;
        let proxy = Proxy::start(0, redis.addr()).await;
        if pin {
            proxy.pin_client_ids();
        }
        let server = site(&proxy).await;
        let private = format!("{}/private", server.base);
        let ada = log_in(&server, "ada").await;
        let bob = log_in(&server, "bob").await;
        cached(&proxy, &private, &ada).await;
        cached(&proxy, &private, &bob).await;
        Self {
            redis,
            proxy,
            _server: server,
            private,
            ada,
            bob,
        }
    }

    fn probe(&self) -> Probe {
        Probe::start(&self.private, &[("ada", &self.ada), ("bob", &self.bob)])
    }

    /// After a fault: waits until the probe saw the deleted session refused and the live one
    /// accepted, lets it run two more leases ("and stays refused"), checks and prints.
    async fn finish(&self, fault: &str, probe: Probe, deleted: Instant, over: Instant) -> Figures {
        until(
            &format!("{fault}: the deleted session is still served"),
            || probe.saw("ada", deleted, StatusCode::SEE_OTHER),
        )
        .await;
        until(
            &format!("{fault}: the live session is still not accepted"),
            || probe.saw("bob", over, StatusCode::OK),
        )
        .await;
        tokio::time::sleep(2 * CACHE_LEASE).await;
        let samples = probe.stop().await;
        let live_back = samples
            .iter()
            .filter(|s| s.user == "bob" && s.started >= over && s.status == Some(StatusCode::OK))
            .map(|s| s.ended - over)
            .min()
            .expect("bob accepted");
        let figures = figures(fault, &samples, deleted);
        let last = samples.iter().rfind(|s| s.user == "ada").unwrap();
        assert_eq!(
            last.status,
            Some(StatusCode::SEE_OTHER),
            "{fault}: stays refused"
        );
        figures.print(fault, live_back);
        figures
    }
}

// --- Regressions: tracking lost without the cache noticing ----------------------------------

/// The tracking connection is cut and comes back with its old `CLIENT ID` (the proxy rewrites
/// the answers; after a restart of Redis it happens for real, see the next test), on the same
/// server, with the canary still there. Tracking is off on the new connection: the cache must
/// notice, not renew its lease on the word of the id alone.
#[tokio::test]
async fn a_tracker_back_with_its_old_id_is_not_trusted() {
    let scene = Scene::new(true).await;
    let tracker_id = scene.redis.tracker_id().await;
    let probe = scene.probe();
    let before = scene.proxy.trackers();
    scene.proxy.cut_trackers();
    let cut = Instant::now();
    until("the tracker has not reconnected", || {
        scene.proxy.trackers() > before
    })
    .await;
    let pinned = scene.proxy.pinned();
    until(
        "the reconnected tracker was not told its old id twice",
        || scene.proxy.pinned() >= pinned + 2,
    )
    .await;
    assert_ne!(
        scene.redis.tracker_id().await,
        tracker_id,
        "a new connection"
    );
    // A few leases for the reconnect; then the session is deleted in Redis.
    tokio::time::sleep(CACHE_LEASE).await;
    let deleted = delete(&scene.redis, &scene.ada).await;
    println!(
        "tracker reconnected {:.1?} after the cut",
        deleted - cut - CACHE_LEASE
    );
    scene
        .finish("tracker back with its old id", probe, deleted, cut)
        .await;
}

/// A real restart (`SHUTDOWN SAVE`, the same port and directory): the sessions and this
/// instance's canary come back from the RDB file, and the tracker gets its old `CLIENT ID` back
/// (ids start again from 1; the proxy holds the other connections until the tracker is
/// through). A session deleted afterwards is refused within the lease, and a live one is still
/// accepted.
#[tokio::test]
async fn a_logout_after_a_redis_restart_is_refused_within_the_lease() {
    let mut scene = Scene::new(false).await;
    let tracker_id = scene.redis.tracker_id().await;
    let probe = scene.probe();
    let before = scene.proxy.trackers();
    scene.proxy.gate(Gate::Closed);
    scene.redis.shutdown_save().await;
    let down = Instant::now();
    scene.redis.run().await;
    // Use up the ids before the tracker's, then let the tracker through first.
    loop {
        let id: i64 = common::redis_command_at(&scene.redis.addr(), 0, &["CLIENT", "ID"])
            .await
            .trim_start_matches(':')
            .trim_end()
            .parse()
            .unwrap();
        assert!(
            id < tracker_id,
            "id {id} already: the tracker cannot get {tracker_id} back"
        );
        if id == tracker_id - 1 {
            break;
        }
    }
    scene.proxy.gate(Gate::TrackerOnly);
    until("the tracker has not reconnected", || {
        scene.proxy.trackers() > before
    })
    .await;
    assert_eq!(
        scene.redis.tracker_id().await,
        tracker_id,
        "the tracker got its old id back"
    );
    scene.proxy.gate(Gate::Open);
    let over = Instant::now();
    println!("Redis restarted in {:.1?}", over - down);
    // The cache's reconnect: the live session is accepted again.
    until_status(
        &scene.private,
        &scene.bob,
        StatusCode::OK,
        Duration::from_secs(20),
    )
    .await;
    tokio::time::sleep(CACHE_LEASE).await;
    let deleted = delete(&scene.redis, &scene.ada).await;
    scene.finish("restart", probe, deleted, over).await;
}

// --- Faults ---------------------------------------------------------------------------------------

/// The replica is promoted (`REPLICAOF NO ONE`) and the proxy sends connections to it, as a
/// virtual IP moved by a failover would; the old primary keeps running, unreachable.
#[tokio::test]
async fn a_logout_after_a_failover_is_refused_within_the_lease() {
    let scene = Scene::new(false).await;
    let replica = RedisServer::start().await;
    let primary_port = scene.redis.port.to_string();
    common::redis_command_at(
        &replica.addr(),
        0,
        &["REPLICAOF", "127.0.0.1", &primary_port],
    )
    .await;
    let (ada_id, bob_id) = (
        session_id(&scene.ada, &key()),
        session_id(&scene.bob, &key()),
    );
    let started = Instant::now();
    while common::redis_command_at(&replica.addr(), 0, &["EXISTS", &ada_id, &bob_id]).await
        != ":2\r\n"
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the replica has the sessions"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let probe = scene.probe();
    tokio::time::sleep(CACHE_LEASE).await;
    common::redis_command_at(&replica.addr(), 0, &["REPLICAOF", "NO", "ONE"]).await;
    scene.proxy.switch(replica.addr());
    let over = Instant::now();
    let deleted = delete(&replica, &scene.ada).await;
    scene.finish("failover", probe, deleted, over).await;
}

/// The proxy drops every connection (the pool's and the tracker's) every 150 ms for 3 s, while
/// requests run; the session is deleted in the middle of it.
#[tokio::test]
async fn a_logout_while_connections_are_cut_is_refused_within_the_lease() {
    let scene = Scene::new(false).await;
    let probe = scene.probe();
    tokio::time::sleep(CACHE_LEASE).await;
    let mut deleted = None;
    for round in 0..20 {
        scene.proxy.cut();
        tokio::time::sleep(Duration::from_millis(150)).await;
        if round == 10 {
            deleted = Some(delete(&scene.redis, &scene.ada).await);
        }
    }
    let over = Instant::now();
    let deleted = deleted.expect("deleted");
    scene
        .finish("connections cut mid-command", probe, deleted, over)
        .await;
}

/// The server is stopped (`SIGSTOP`) for 5 s, then continued. Meanwhile, requests fail closed
/// (503) in bounded time (a Redis command may take 2 s), and none answered during the freeze
/// gets the logged-in page once the lease has run out. The cache's failed heartbeats are counted
/// (`oauth_session_cache_total{event="heartbeat_failed"}`).
#[tokio::test]
async fn a_frozen_redis_fails_closed_and_a_logout_afterwards_is_refused() {
    // Each test is a process of its own under nextest; under `cargo test` no other test of this
    // binary installs a recorder.
    let recorder = metrics_util::debugging::DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder
        .install()
        .expect("the only recorder of this process");
    let scene = Scene::new(false).await;
    let probe = scene.probe();
    tokio::time::sleep(CACHE_LEASE).await;
    scene.redis.signal("-STOP");
    let frozen = Instant::now();
    tokio::time::sleep(Duration::from_secs(5)).await;
    scene.redis.signal("-CONT");
    let over = Instant::now();
    {
        let samples = probe.samples.lock().unwrap();
        let during: Vec<_> = samples
            .iter()
            .filter(|s| s.started >= frozen + CACHE_LEASE && s.ended <= over)
            .collect();
        assert!(!during.is_empty(), "requests while frozen");
        for s in &during {
            assert_eq!(
                s.status,
                Some(StatusCode::SERVICE_UNAVAILABLE),
                "{} while frozen, {:?} after the stop",
                s.user,
                s.started - frozen
            );
        }
        let longest = during.iter().map(|s| s.ended - s.started).max().unwrap();
        println!(
            "frozen: {} requests answered during the freeze, all 503, the longest in {longest:.1?}",
            during.len()
        );
    }
    let failed_heartbeats: u64 = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .filter(|(key, _, _, _)| {
            let key = key.key();
            key.name() == "oauth_session_cache_total"
                && key
                    .labels()
                    .any(|l| l.key() == "event" && l.value() == "heartbeat_failed")
        })
        .map(|(_, _, _, value)| match value {
            metrics_util::debugging::DebugValue::Counter(n) => n,
            other => panic!("not a counter: {other:?}"),
        })
        .sum();
    assert!(failed_heartbeats >= 1, "the failed heartbeats are counted");
    println!("frozen: {failed_heartbeats} failed heartbeats counted");
    let deleted = delete(&scene.redis, &scene.ada).await;
    scene.finish("frozen server", probe, deleted, over).await;
}
