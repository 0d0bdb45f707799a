//! Faults under the SQL and memory stores, and a step of the wall clock under every store (issue
//! 13, item 5): after each fault, a session deleted in the store is refused and no live session is
//! lost; during it, requests fail closed (503) in bounded time and never hang.
//!
//! PostgreSQL runs as a private cluster (`initdb` as the `postgres` user, a free port, a temporary
//! directory), never the shared server on 5432, so that it can be restarted, failed over, frozen
//! and cut. The clock steps use libfaketime (`apt-get install faketime`) on `examples/oidc` as a
//! subprocess: its wall clock jumps while its monotonic clock runs on.
//!
//! Each test prints one `FIGURES` line per fault: requests made during the fault, how many failed
//! closed, the slowest answer, how long the live session took to be accepted again, and how long
//! after its logout on another instance a session was refused.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU16};

use super::*;

/// How long a fault lasts while requests keep coming: longer than the store's 3-second bound, so
/// that requests waiting on a frozen or locked store reach it.
const FAULT: Duration = Duration::from_secs(4);
/// The store's 3-second bound on one operation, with room for a loaded machine: far below what
/// a hung connection would take (TCP gives up after minutes).
const STORE_BOUND_WITH_MARGIN: Duration = Duration::from_secs(6);
/// How long the live session may take to be accepted again once a fault is over.
const RECOVERY: Duration = Duration::from_secs(20);

// --- The scenario every fault runs ----------------------------------------------------------

/// One site on two instances: `a` is measured, `b` is "another instance" (its own store handle,
/// its own pool) where logouts happen. Two users are logged in on `a` before the fault: `live`
/// must survive it, `doomed` is logged out on `b` after it.
struct Site {
    a: common::Server,
    b: common::Server,
    live: String,
    doomed: String,
}

/// What one fault cost.
struct Figures {
    store: &'static str,
    fault: String,
    load: Tally,
    /// From the end of the fault until the live session was accepted again.
    back_after: Duration,
    /// From the logout on `b` until `a` refused the session.
    refused_after: Duration,
    /// Requests that still got the page between the logout and the refusal.
    served_after_logout: usize,
}

impl Figures {
    fn print(&self) {
        let Tally {
            requests,
            failed_closed,
            slowest,
            ..
        } = &self.load;
        println!(
            "FIGURES | {} | {} | {requests} requests during the fault | {failed_closed} failed closed (503) | slowest {slowest:.2?} | live session back after {:.2?} | logout refused after {:.2?} ({} served meanwhile)",
            self.store, self.fault, self.back_after, self.refused_after, self.served_after_logout
        );
    }
}

impl Site {
    async fn new(a_store: &AnyStore, b_store: &AnyStore) -> Self {
        let a = instance(a_store, key()).await;
        let b = instance(b_store, key()).await;
        let live = log_in_ada(&a).await;
        let doomed = log_in_ada(&a).await;
        assert_ne!(live, doomed, "two sessions");
        for cookie in [&live, &doomed] {
            assert_eq!(
                status_with_cookie(&private_url(&a), cookie).await,
                StatusCode::OK
            );
            assert_eq!(
                status_with_cookie(&private_url(&b), cookie).await,
                StatusCode::OK
            );
        }
        Self { a, b, live, doomed }
    }

    /// Requests with the live session on `a` until the returned load is stopped.
    fn load(&self) -> Load {
        Load::start(&self.a.base, &self.live)
    }

    /// After the fault: both sessions are accepted again; the doomed one, logged out on `b`, is
    /// refused by `a` at the first request; the live one is still accepted. Then a new doomed
    /// session for the next fault.
    async fn check_after(&mut self, store: &'static str, fault: &str, load: Tally, ended: Instant) {
        let what = format!("{store}, {fault}");
        let back_after = until_accepted(&private_url(&self.a), &self.live, ended, &what).await;
        until_accepted(&private_url(&self.a), &self.doomed, ended, &what).await;
        let (refused_after, served) =
            log_out_elsewhere(&self.b, &self.a, &self.doomed, &what).await;
        assert_eq!(
            served, 0,
            "{what}: a SQL store has no cache, the logout is seen at once"
        );
        assert_eq!(
            status_with_cookie(&private_url(&self.a), &self.live).await,
            StatusCode::OK,
            "{what}: the live session is untouched by the other's logout"
        );
        self.doomed = log_in_ada(&self.a).await;
        let figures = Figures {
            store,
            fault: fault.to_owned(),
            load,
            back_after,
            refused_after,
            served_after_logout: served,
        };
        figures.print();
    }
}

fn private_url(server: &common::Server) -> String {
    format!("{}/private", server.base)
}

/// Waits (at most [`RECOVERY`] after `since`) until `cookie` gets the page on `url`; how long
/// after `since` it did. Meanwhile the answer may only be 503: never the login page.
async fn until_accepted(url: &str, cookie: &str, since: Instant, what: &str) -> Duration {
    loop {
        let answer =
            tokio::time::timeout(FAIL_CLOSED_WITHIN, status_with_cookie(url, cookie)).await;
        match answer {
            Ok(StatusCode::OK) => return since.elapsed(),
            Ok(StatusCode::SERVICE_UNAVAILABLE) => {}
            Ok(other) => panic!("{what}: a live session got {other} after the fault"),
            Err(_) => panic!("{what}: a request hung for {FAIL_CLOSED_WITHIN:?}"),
        }
        assert!(
            since.elapsed() < RECOVERY,
            "{what}: the live session is still refused {RECOVERY:?} after the fault"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Logs `cookie`'s session out on `on` (retrying while its store answers 503), then asks `at`
/// until it refuses the session (303 to the login page): how long that took and how many
/// requests were still served meanwhile. Bounded by [`CACHE_LEASE`] and 5 s.
async fn log_out_elsewhere(
    on: &common::Server,
    at: &common::Server,
    cookie: &str,
    what: &str,
) -> (Duration, usize) {
    let started = Instant::now();
    loop {
        let out = get_with_cookie(&format!("{}/logout", on.base), cookie).await;
        if out.status() == StatusCode::SEE_OTHER {
            break;
        }
        assert_eq!(
            out.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{what}: logout"
        );
        assert!(
            started.elapsed() < RECOVERY,
            "{what}: the logout still fails"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    refused_within(
        &private_url(at),
        cookie,
        CACHE_LEASE + Duration::from_secs(5),
        what,
    )
    .await
}

/// Asks `url` with `cookie` until it answers 303 (the login page), at most `bound`.
async fn refused_within(url: &str, cookie: &str, bound: Duration, what: &str) -> (Duration, usize) {
    let logged_out = Instant::now();
    let mut served = 0;
    loop {
        let res = get_with_cookie(url, cookie).await;
        match res.status() {
            StatusCode::SEE_OTHER => {
                let location = res.headers().get(reqwest::header::LOCATION);
                let location = location.and_then(|l| l.to_str().ok()).unwrap_or_default();
                assert!(
                    location == "/login" || location.starts_with("/login?next="),
                    "{what}: refused to the login page, not {location:?}"
                );
                return (logged_out.elapsed(), served);
            }
            StatusCode::OK => served += 1,
            other => panic!("{what}: {other} for a logged-out session"),
        }
        assert!(
            logged_out.elapsed() < bound,
            "{what}: a logged-out session is still served {:?} after its logout",
            logged_out.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Requests made during a fault.
#[derive(Default)]
struct Tally {
    requests: usize,
    ok: usize,
    failed_closed: usize,
    slowest: Duration,
    /// When each request that got the page was sent, and when it had its answer.
    ok_at: Vec<(Instant, Instant)>,
}

impl Tally {
    /// Requests sent at or after `from` that got the page before `to`.
    fn ok_sent_and_answered_within(&self, from: Instant, to: Instant) -> usize {
        self.ok_at
            .iter()
            .filter(|(sent, answered)| *sent >= from && *answered < to)
            .count()
    }
}

impl std::fmt::Debug for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tally")
            .field("requests", &self.requests)
            .field("ok", &self.ok)
            .field("failed_closed", &self.failed_closed)
            .field("slowest", &self.slowest)
            .finish_non_exhaustive()
    }
}

/// Clients sending requests with one session, back to back, until stopped: half of them to a
/// page that only reads the session, half to `/login`, which writes it (a pending login).
struct Load {
    stop: Arc<AtomicBool>,
    clients: Vec<tokio::task::JoinHandle<Tally>>,
}

impl Load {
    const CLIENTS: usize = 6;

    fn start(base: &str, cookie: &str) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let clients = (0..Self::CLIENTS)
            .map(|n| {
                let path = if n % 2 == 0 { "/private" } else { "/login" };
                let url = format!("{base}{path}");
                let cookie = cookie.to_owned();
                let stop = stop.clone();
                tokio::spawn(async move {
                    let http = bare_client();
                    let mut tally = Tally::default();
                    while !stop.load(Ordering::SeqCst) {
                        let started = Instant::now();
                        let sent = http.get(&url).header("cookie", &cookie).send();
                        let status = match tokio::time::timeout(FAIL_CLOSED_WITHIN, sent).await {
                            Ok(Ok(res)) => res.status(),
                            Ok(Err(error)) => panic!("{url}: {error}"),
                            Err(_) => panic!("{url}: hung for {FAIL_CLOSED_WITHIN:?}"),
                        };
                        tally.requests += 1;
                        tally.slowest = tally.slowest.max(started.elapsed());
                        match status {
                            StatusCode::OK => {
                                tally.ok += 1;
                                tally.ok_at.push((started, Instant::now()));
                            }
                            StatusCode::SERVICE_UNAVAILABLE => tally.failed_closed += 1,
                            other => panic!("{url}: {other} for a live session"),
                        }
                    }
                    tally
                })
            })
            .collect();
        Self { stop, clients }
    }

    /// Stops the clients (each finishes its request in flight) and adds up what they got.
    async fn stop(self) -> Tally {
        self.stop.store(true, Ordering::SeqCst);
        let mut total = Tally::default();
        for client in self.clients {
            let tally = client.await.expect("a load client panicked");
            total.requests += tally.requests;
            total.ok += tally.ok;
            total.failed_closed += tally.failed_closed;
            total.slowest = total.slowest.max(tally.slowest);
            total.ok_at.extend(tally.ok_at);
        }
        total
    }
}

// --- Temporary directories and commands ----------------------------------------------------------

/// A directory removed on drop.
pub(super) struct TempDir(pub(super) PathBuf);

impl TempDir {
    pub(super) fn new(what: &str) -> Self {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!(
            "oauth-{what}-{}-{n}-{}",
            std::process::id(),
            common::free_port()
        ));
        std::fs::create_dir_all(&path).expect("a temporary directory");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `command` off the runtime (the apps under test share it) and asserts it succeeded.
pub(super) async fn run(mut command: Command) {
    let shown = format!("{command:?}");
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the command's thread")
        .unwrap_or_else(|e| panic!("{shown}: {e}"));
    assert!(
        output.status.success(),
        "{shown}: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

// --- A private PostgreSQL cluster ------------------------------------------------------------

/// The newest PostgreSQL's programs (`/usr/lib/postgresql/<version>/bin`).
fn pg_bin(program: &str) -> PathBuf {
    let mut versions: Vec<u32> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL's programs in /usr/lib/postgresql")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    versions.sort_unstable();
    let version = versions.last().expect("a PostgreSQL version");
    PathBuf::from(format!("/usr/lib/postgresql/{version}/bin/{program}"))
}

/// `program` run as the `postgres` user (PostgreSQL refuses to run as root), in `dir`.
pub(super) fn as_postgres(program: &str, dir: &Path) -> Command {
    let mut command = Command::new("setpriv");
    command
        .args([
            "--reuid=postgres",
            "--regid=postgres",
            "--init-groups",
            "--",
        ])
        .arg(pg_bin(program))
        .current_dir(dir)
        .stdin(Stdio::null());
    command
}

/// A PostgreSQL cluster of this test's own, on a free port; killed (with its backends) on drop,
/// also when the test panics.
pub(super) struct Cluster {
    pub(super) dir: TempDir,
    pub(super) port: u16,
    /// The postmaster (`setpriv` execs it: the child is the postmaster itself).
    postmaster: Option<Child>,
    /// More `-c name=value` settings for the postmaster (`ssl=on`...).
    pub(super) settings: Vec<String>,
}

impl Cluster {
    pub(super) fn data(&self) -> PathBuf {
        self.dir.0.join("data")
    }

    fn url(&self) -> String {
        postgres_url(self.port)
    }

    /// A new cluster, started.
    async fn primary() -> Self {
        Self::initialized("pg-primary").await.started().await
    }

    /// A new cluster (`initdb`), not started yet.
    pub(super) async fn initialized(what: &str) -> Self {
        let cluster = Self::empty(what);
        let mut initdb = as_postgres("initdb", &cluster.dir.0);
        initdb
            .args(["--auth=trust", "--username=postgres", "--no-sync"])
            .args(["--encoding=UTF8", "--locale=C", "--pgdata"])
            .arg(cluster.data());
        run(initdb).await;
        cluster
    }

    /// A streaming standby of `primary` (`pg_basebackup -R`), started.
    async fn standby_of(primary: &Self) -> Self {
        let cluster = Self::empty("pg-standby");
        let mut backup = as_postgres("pg_basebackup", &cluster.dir.0);
        backup
            .args(["-h", "127.0.0.1", "-p", &primary.port.to_string()])
            .args(["-U", "postgres", "-R", "-X", "stream", "--no-sync", "-D"])
            .arg(cluster.data());
        run(backup).await;
        cluster.started().await
    }

    pub(super) fn empty(what: &str) -> Self {
        let dir = TempDir::new(what);
        let status = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir.0)
            .status()
            .expect("chown");
        assert!(status.success(), "the cluster's directory for postgres");
        Self {
            dir,
            port: common::free_port(),
            postmaster: None,
            settings: Vec::new(),
        }
    }

    pub(super) async fn started(mut self) -> Self {
        self.start().await;
        self
    }

    /// Starts the postmaster and waits (30 s at most) until it accepts connections.
    async fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.0.join("log"))
            .expect("the cluster's log");
        let mut postgres = as_postgres("postgres", &self.dir.0);
        postgres
            .arg("-D")
            .arg(self.data())
            .args(["-p", &self.port.to_string(), "-k"])
            .arg(&self.dir.0)
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "shared_buffers=16MB", "-c", "max_connections=40"])
            .args(["-c", "fsync=off"])
            .args(self.settings.iter().flat_map(|s| ["-c", s.as_str()]))
            .stdout(log.try_clone().expect("the log"))
            .stderr(log);
        self.postmaster = Some(postgres.spawn().expect("postgres started"));
        let started = Instant::now();
        loop {
            let mut ready = Command::new(pg_bin("pg_isready"));
            ready
                .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                .stdout(Stdio::null());
            let ok = tokio::task::spawn_blocking(move || ready.status())
                .await
                .expect("pg_isready's thread")
                .is_ok_and(|s| s.success());
            if ok {
                return;
            }
            let log = std::fs::read_to_string(self.dir.0.join("log")).unwrap_or_default();
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "PostgreSQL on port {} did not start in 30 s:\n{log}",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `pg_ctl stop -m <mode>` (`fast`: clients disconnected, a checkpoint; `immediate`: a crash).
    async fn stop(&mut self, mode: &str) {
        let mut stop = as_postgres("pg_ctl", &self.dir.0);
        stop.args(["stop", "-w", "-t", "30", "-m", mode, "-D"])
            .arg(self.data());
        run(stop).await;
        if let Some(mut postmaster) = self.postmaster.take() {
            tokio::task::spawn_blocking(move || postmaster.wait())
                .await
                .expect("the wait's thread")
                .expect("the postmaster's exit");
        }
    }

    /// `kill -KILL` on the postmaster and its children: the machine died.
    async fn crash(&mut self) {
        self.signal("-KILL");
        if let Some(mut postmaster) = self.postmaster.take() {
            tokio::task::spawn_blocking(move || postmaster.wait())
                .await
                .expect("the wait's thread")
                .expect("the postmaster's exit");
        }
    }

    async fn promote(&self) {
        let mut promote = as_postgres("pg_ctl", &self.dir.0);
        promote
            .args(["promote", "-w", "-t", "30", "-D"])
            .arg(self.data());
        run(promote).await;
    }

    /// Sends `signal` to the postmaster, then to its children (backends, the checkpointer, the
    /// WAL writer...): each child calls `setsid`, so the postmaster's process group is not
    /// theirs.
    fn signal(&self, signal: &str) {
        let Some(postmaster) = &self.postmaster else {
            return;
        };
        // The postmaster and the children listed before it stopped; then the children listed
        // after, until a listing finds none not yet signalled: a backend forked while the first
        // listing ran would otherwise keep serving a "frozen" server.
        let mut signalled = vec![postmaster.id()];
        signalled.extend(children(postmaster.id()));
        signal_all(&signalled, signal);
        loop {
            let new: Vec<u32> = children(postmaster.id())
                .into_iter()
                .filter(|pid| !signalled.contains(pid))
                .collect();
            if new.is_empty() {
                break;
            }
            signal_all(&new, signal);
            signalled.extend(new);
        }
    }

    /// The postmaster's children whose process title contains `title` (`walsender`...).
    fn child_titled(&self, title: &str) -> Vec<u32> {
        let Some(postmaster) = &self.postmaster else {
            return Vec::new();
        };
        children(postmaster.id())
            .into_iter()
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|line| String::from_utf8_lossy(&line).contains(title))
            })
            .collect()
    }
}

/// `kill -<signal> <pids>`.
fn signal_all(pids: &[u32], signal: &str) {
    let _ = Command::new("kill")
        .arg(signal)
        .args(pids.iter().map(u32::to_string))
        .status();
}

/// The processes whose parent is `parent` (from `/proc/<pid>/stat`).
fn children(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // `pid (comm) state ppid ...`; the command may hold spaces and parentheses.
            let after = &stat[stat.rfind(')')? + 1..];
            let ppid: u32 = after.split_whitespace().nth(1)?.parse().ok()?;
            (ppid == parent).then_some(pid)
        })
        .collect()
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // A frozen cluster dies too: SIGKILL needs no thaw.
        self.signal("-KILL");
        if let Some(mut postmaster) = self.postmaster.take() {
            let _ = postmaster.wait();
        }
    }
}

fn postgres_url(port: u16) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/postgres")
}

/// Whether the sessions of `cookies` are all in the database at `url` (a standby caught up).
async fn rows_present(url: &str, cookies: &[&str]) -> bool {
    let Ok(pool) = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(3))
        .connect(url)
        .await
    else {
        return false;
    };
    let ids: Vec<String> = cookies.iter().map(|c| session_id(c, &key())).collect();
    let found: Result<i64, _> =
        sqlx::query_scalar("select count(*) from tower_sessions.session where id = any($1)")
            .bind(&ids)
            .fetch_one(&pool)
            .await;
    pool.close().await;
    found.is_ok_and(|n| usize::try_from(n).ok() == Some(ids.len()))
}

// --- A TCP proxy that can be switched and can cut its connections (a VIP) --------------------------

/// A TCP proxy to a port on 127.0.0.1 that can move to another port (a virtual IP following a
/// failover) and drop every live connection at once (with a reset, as a failing link would).
struct Switch {
    port: u16,
    target: Arc<AtomicU16>,
    cuts: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Switch {
    async fn start(target: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("its address").port();
        let target = Arc::new(AtomicU16::new(target));
        let (cuts, _) = watch::channel(0);
        let task = tokio::spawn({
            let target = target.clone();
            let cuts = cuts.clone();
            async move {
                while let Ok((inbound, _)) = listener.accept().await {
                    let to = target.load(Ordering::SeqCst);
                    tokio::spawn(relay(inbound, to, cuts.subscribe()));
                }
            }
        });
        Self {
            port,
            target,
            cuts,
            task,
        }
    }

    /// Resets every connection in flight.
    fn cut(&self) {
        self.cuts.send_modify(|n| *n += 1);
    }

    /// New connections go to `target`; the old ones are cut.
    fn point_to(&self, target: u16) {
        self.target.store(target, Ordering::SeqCst);
        self.cut();
    }
}

impl Drop for Switch {
    fn drop(&mut self) {
        self.task.abort();
        self.cut();
    }
}

async fn relay(mut inbound: TcpStream, target: u16, mut cuts: watch::Receiver<u64>) {
    let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", target)).await else {
        return;
    };
    cuts.mark_unchanged();
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
        _ = cuts.changed() => {
            let _ = inbound.set_zero_linger();
            let _ = outbound.set_zero_linger();
        }
    }
}

// --- PostgreSQL --------------------------------------------------------------------------------

/// Fast shutdown (clients told, a checkpoint), then immediate shutdown (a crash, recovery from
/// the WAL at start), each followed by a start on the same port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restart_keeps_live_sessions_and_logouts() {
    let mut pg = Cluster::primary().await;
    let a_store = open(&pg.url(), "private PostgreSQL").await;
    let b_store = open(&pg.url(), "private PostgreSQL").await;
    let mut site = Site::new(&a_store, &b_store).await;
    for mode in ["fast", "immediate"] {
        let load = site.load();
        pg.stop(mode).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        pg.start().await;
        let ended = Instant::now();
        let tally = load.stop().await;
        assert!(tally.requests > 0, "requests were made during the restart");
        site.check_after(
            "PostgreSQL",
            &format!("restart ({mode} shutdown)"),
            tally,
            ended,
        )
        .await;
    }
}

/// The primary dies (`kill -KILL`); its streaming standby, up to date, is promoted and the proxy
/// in front of the database (a VIP) moves to it, while requests run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_failover_keeps_live_sessions_and_logouts() {
    let mut setup = Failover::new(false).await;
    let load = setup.site.load();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ended = setup.fail_over().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let tally = load.stop().await;
    setup
        .site
        .check_after("PostgreSQL", "failover to a promoted standby", tally, ended)
        .await;
}

/// The limit of a failover with asynchronous replication (PostgreSQL's default): a logout the
/// primary acknowledged but had not yet sent to the standby is lost with the primary, and the
/// promoted standby accepts the session again. The lag is made certain by pausing the primary's
/// WAL sender before the logout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_async_failover_loses_a_logout_the_standby_had_not_received() {
    let mut setup = Failover::new(false).await;
    setup.lag();
    let site = &setup.site;
    let (refused_after, _) = log_out_elsewhere(&site.b, &site.a, &site.doomed, "async").await;
    assert!(refused_after < Duration::from_secs(1));
    setup.fail_over_and_wait().await;
    let site = &setup.site;
    assert_eq!(
        status_with_cookie(&private_url(&site.a), &site.doomed).await,
        StatusCode::OK,
        "the logout acknowledged before the failover is undone (asynchronous replication)"
    );
    println!(
        "FIGURES | PostgreSQL | failover, asynchronous replication, standby lagging | a logout acknowledged (303) before the crash is undone"
    );
}

/// The same with synchronous replication (`synchronous_standby_names = '*'`): while the standby
/// lags, a logout is not acknowledged (503 within the store's bound, the session still valid
/// everywhere, as the user was told), and after the failover a new logout holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sync_failover_loses_no_acknowledged_logout() {
    let mut setup = Failover::new(true).await;
    setup.lag();
    let site = &setup.site;
    let logout = format!("{}/logout", site.b.base);
    assert_fails_closed(&logout, &site.doomed, "PostgreSQL, sync standby lagging").await;
    assert_eq!(
        status_with_cookie(&private_url(&site.a), &site.doomed).await,
        StatusCode::OK,
        "an unacknowledged logout is not visible"
    );
    setup.fail_over_and_wait().await;
    let site = &setup.site;
    assert_eq!(
        status_with_cookie(&private_url(&site.a), &site.doomed).await,
        StatusCode::OK,
        "the standby agrees: the logout never happened"
    );
    let (refused_after, served) =
        log_out_elsewhere(&site.b, &site.a, &site.doomed, "after a sync failover").await;
    assert_eq!(served, 0);
    println!(
        "FIGURES | PostgreSQL | failover, synchronous replication, standby lagging | logout during the lag: 503 (not acknowledged); after: refused after {refused_after:.2?}"
    );
}

/// A primary behind a VIP (both instances of the site reach the database through it) and a
/// streaming standby that has every session of the site.
struct Failover {
    primary: Cluster,
    standby: Cluster,
    vip: Switch,
    site: Site,
}

impl Failover {
    async fn new(synchronous: bool) -> Self {
        let primary = Cluster::primary().await;
        let vip = Switch::start(primary.port).await;
        let a_store = open(&postgres_url(vip.port), "PostgreSQL behind a VIP").await;
        let b_store = open(&postgres_url(vip.port), "PostgreSQL behind a VIP").await;
        let standby = Cluster::standby_of(&primary).await;
        let site = Site::new(&a_store, &b_store).await;
        let wanted = if synchronous { "sync" } else { "async" };
        let pool = sqlx::PgPool::connect(&primary.url())
            .await
            .expect("the primary");
        if synchronous {
            for sql in [
                "ALTER SYSTEM SET synchronous_standby_names = '*'",
                "SELECT pg_reload_conf()",
            ] {
                sqlx::query(sql).execute(&pool).await.expect(sql);
            }
        }
        let started = Instant::now();
        loop {
            let state: Option<String> =
                sqlx::query_scalar("SELECT sync_state FROM pg_stat_replication")
                    .fetch_optional(&pool)
                    .await
                    .expect("pg_stat_replication");
            if state.as_deref() == Some(wanted)
                && rows_present(&standby.url(), &[&site.live, &site.doomed]).await
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the standby is not an up-to-date {wanted} standby after 20 s: {state:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        pool.close().await;
        Self {
            primary,
            standby,
            vip,
            site,
        }
    }

    /// Pauses the primary's WAL sender: the standby lags from now on.
    fn lag(&self) {
        let sender = self.primary.child_titled("walsender");
        assert!(!sender.is_empty(), "the primary streams to the standby");
        signal_all(&sender, "-STOP");
    }

    /// The primary dies, the standby is promoted, the VIP moves: when that was done.
    async fn fail_over(&mut self) -> Instant {
        self.primary.crash().await;
        self.standby.promote().await;
        self.vip.point_to(self.standby.port);
        Instant::now()
    }

    /// [`fail_over`](Self::fail_over), then waits until the live session works again.
    async fn fail_over_and_wait(&mut self) {
        let ended = self.fail_over().await;
        until_accepted(
            &private_url(&self.site.a),
            &self.site.live,
            ended,
            "failover",
        )
        .await;
    }
}

/// The link to the database resets every connection, ten times a second for two seconds, while
/// requests that read and write the session run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connection_cuts_fail_closed_and_lose_nothing() {
    let pg = Cluster::primary().await;
    let link = Switch::start(pg.port).await;
    let a_store = open(&postgres_url(link.port), "PostgreSQL behind a proxy").await;
    let b_store = open(&pg.url(), "private PostgreSQL").await;
    let mut site = Site::new(&a_store, &b_store).await;

    let load = site.load();
    let started = Instant::now();
    let mut cuts = 0;
    while started.elapsed() < Duration::from_secs(2) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        link.cut();
        cuts += 1;
    }
    let ended = Instant::now();
    let tally = load.stop().await;
    assert!(tally.requests > 0);
    site.check_after(
        "PostgreSQL",
        &format!("{cuts} connection cuts in 2 s"),
        tally,
        ended,
    )
    .await;
}

/// `kill -STOP` on the postmaster and its backends for longer than the store's bound, then
/// `kill -CONT`: connections stay open and nothing answers (client side 3 s bound; the server's
/// `statement_timeout` cannot help a server that does not run).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_frozen_server_fails_closed_in_bounded_time() {
    let pg = Cluster::primary().await;
    let a_store = open(&pg.url(), "private PostgreSQL").await;
    let b_store = open(&pg.url(), "private PostgreSQL").await;
    let mut site = Site::new(&a_store, &b_store).await;

    let load = site.load();
    tokio::time::sleep(Duration::from_millis(200)).await;
    pg.signal("-STOP");
    let frozen = Instant::now();
    tokio::time::sleep(FAULT).await;
    let thawed = Instant::now();
    pg.signal("-CONT");
    let ended = Instant::now();
    let tally = load.stop().await;
    // (A request sent before the freeze may have been read before it, and answered during it
    // when the machine is busy: only requests sent during the freeze count.)
    assert_eq!(
        tally.ok_sent_and_answered_within(frozen, thawed),
        0,
        "nothing is served from a frozen store: {tally:?}"
    );
    assert!(
        tally.failed_closed >= Load::CLIENTS,
        "every client's requests failed closed during the freeze: {tally:?}"
    );
    assert!(
        tally.slowest < STORE_BOUND_WITH_MARGIN,
        "the 3-second bound held: {tally:?}"
    );
    site.check_after("PostgreSQL", &format!("frozen for {FAULT:?}"), tally, ended)
        .await;
}

// --- SQLite -------------------------------------------------------------------------------------

fn sqlite_url(dir: &TempDir) -> String {
    format!("sqlite://{}", dir.0.join("sessions.db").display())
}

/// A new process on the same file (here: a new store and app): live sessions are still there, and
/// a logout made afterwards is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_restart_keeps_live_sessions_and_logouts() {
    let dir = TempDir::new("sqlite-restart");
    let url = sqlite_url(&dir);
    let a_store = open(&url, "SQLite").await;
    let b_store = open(&url, "SQLite").await;
    let mut site = Site::new(&a_store, &b_store).await;

    let a_base = site.a.base.clone();
    drop(a_store);
    site.a = instance(&open(&url, "SQLite").await, key()).await;
    let ended = Instant::now();
    assert!(
        bare_client().get(&a_base).send().await.is_err(),
        "the old instance is gone"
    );
    site.check_after("SQLite", "restart", Tally::default(), ended)
        .await;
}

/// Another connection holds a write transaction on the database (`BEGIN IMMEDIATE`: writes wait,
/// reads go on; `BEGIN EXCLUSIVE`: both wait) for longer than the store's bound: requests that
/// wait fail closed with 503 after 3 s, and everything works again when it commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_locked_database_fails_closed_then_recovers() {
    use sqlx::{Connection as _, Executor as _};
    let dir = TempDir::new("sqlite-locked");
    let url = sqlite_url(&dir);
    let a_store = open(&url, "SQLite").await;
    let b_store = open(&url, "SQLite").await;
    let mut site = Site::new(&a_store, &b_store).await;
    let mut locker = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("a connection to the file");

    for lock in ["IMMEDIATE", "EXCLUSIVE"] {
        let load = site.load();
        locker
            .execute(format!("BEGIN {lock}").as_str())
            .await
            .expect("the lock");
        locker
            .execute("DELETE FROM tower_sessions WHERE id = 'none'")
            .await
            .expect("a write in the transaction");
        tokio::time::sleep(FAULT).await;
        locker.execute("COMMIT").await.expect("the lock released");
        let ended = Instant::now();
        let tally = load.stop().await;
        assert!(
            tally.failed_closed > 0,
            "{lock}: requests that wait on the lock fail closed: {tally:?}"
        );
        if lock == "IMMEDIATE" {
            assert!(tally.ok > 0, "{lock}: reads go on: {tally:?}");
        }
        assert!(
            tally.slowest < STORE_BOUND_WITH_MARGIN,
            "{lock}: the 3-second bound held: {tally:?}"
        );
        site.check_after(
            "SQLite",
            &format!("BEGIN {lock} for {FAULT:?}"),
            tally,
            ended,
        )
        .await;
    }
}

// --- Memory ---------------------------------------------------------------------------------------

/// The memory store lives in the process: a restart logs everyone out. By design (one instance,
/// development); the store's documentation says "lost on restart".
#[tokio::test]
async fn memory_restart_loses_every_session_by_design() {
    let store = open("memory", "memory").await;
    let server = instance(&store, key()).await;
    let cookie = log_in_ada(&server).await;
    assert_eq!(
        status_with_cookie(&private_url(&server), &cookie).await,
        StatusCode::OK
    );
    drop((server, store));
    let restarted = instance(&open("memory", "memory").await, key()).await;
    assert_eq!(
        status_with_cookie(&private_url(&restarted), &cookie).await,
        StatusCode::SEE_OTHER,
        "a restarted memory store knows no session"
    );
    println!("FIGURES | memory | restart | every session lost (by design)");
}

// --- A step of the wall clock, under every store ----------------------------------------------------

/// libfaketime as Debian installs it (`apt-get install faketime`); the thread-safe build, for a
/// multi-threaded app.
const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
/// Fourteen days, the builder's default inactivity expiry.
const EXPIRY_SECS: i64 = 14 * 86_400;

/// The offset of a faked wall clock, in a file libfaketime reads on every call.
struct Clock {
    dir: TempDir,
}

impl Clock {
    fn new() -> Self {
        let clock = Self {
            dir: TempDir::new("clock"),
        };
        clock.set(0);
        clock
    }

    fn file(&self) -> PathBuf {
        self.dir.0.join("offset")
    }

    /// Steps the faked clock to `offset` seconds from the real one. Written aside and renamed, so
    /// that the app never reads half a file.
    fn set(&self, offset: i64) {
        let aside = self.dir.0.join("offset.new");
        std::fs::write(&aside, format!("{offset:+}\n")).expect("the clock file");
        std::fs::rename(&aside, self.file()).expect("the clock file");
    }

    /// The environment that puts `examples/oidc` on this clock.
    fn env(&self) -> Vec<(&'static str, String)> {
        assert!(
            Path::new(LIBFAKETIME).exists(),
            "{LIBFAKETIME} is missing: `apt-get install faketime` (scripts/test.sh does)"
        );
        vec![
            ("LD_PRELOAD", LIBFAKETIME.into()),
            ("FAKETIME_TIMESTAMP_FILE", self.file().display().to_string()),
            ("FAKETIME_NO_CACHE", "1".into()),
            ("FAKETIME_DONT_FAKE_MONOTONIC", "1".into()),
        ]
    }
}

/// The store of a clock test, as the test reads it behind the app's back.
#[derive(Clone, Copy)]
enum Kind {
    Memory,
    Sqlite,
    Postgres,
    Redis,
}

/// Seconds until the session of `cookie` expires in the store, by the real clock; `None` for the
/// memory store (out of reach in the app's process).
async fn remaining_secs(kind: Kind, url: &str, cookie: &str) -> Option<i64> {
    let id = session_id(cookie, &key());
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    match kind {
        Kind::Memory => None,
        Kind::Redis => {
            let ttl = redis_command(0, &["TTL", &id]).await;
            Some(
                ttl.trim_start_matches(':')
                    .trim_end()
                    .parse()
                    .expect("a TTL"),
            )
        }
        Kind::Sqlite => {
            use sqlx::Connection as _;
            let mut conn = sqlx::SqliteConnection::connect(url).await.expect("SQLite");
            // sqlx keeps the date as text (`2026-12-18 17:45:29.1 +00:00:00`): its first 19
            // characters are what `unixepoch` reads.
            let expiry: i64 = sqlx::query_scalar(
                "select unixepoch(substr(expiry_date, 1, 19)) from tower_sessions where id = ?",
            )
            .bind(&id)
            .fetch_one(&mut conn)
            .await
            .expect("the session's row");
            Some(expiry - now)
        }
        Kind::Postgres => {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect(url)
                .await
                .expect("PostgreSQL");
            let expiry: i64 = sqlx::query_scalar(
                "select extract(epoch from expiry_date)::int8 from tower_sessions.session where id = $1",
            )
            .bind(&id)
            .fetch_one(&pool)
            .await
            .expect("the session's row");
            pool.close().await;
            Some(expiry - now)
        }
    }
}

/// `examples/oidc` on `store_url` with its wall clock stepped forward an hour, back two, and
/// forward one (to the real time), its monotonic clock untouched. After each step: the session
/// logged in before the steps is still accepted; a session logged out on another instance (an
/// unfaked one in this process, sharing the store; for the memory store, the app itself) is
/// refused; a new login works, and its record expires 14 days from the app's stepped clock.
async fn clock_steps(kind: Kind, store_url: &str, what: &'static str) {
    let clock = Clock::new();
    let mut env = clock.env();
    env.push(("SESSION_STORE", store_url.to_owned()));
    env.push(("SESSION_KEY", SESSION_KEY.to_owned()));
    let app = common::start_example("oidc", &env);
    let home = format!("{}/", app.base);
    let other = match kind {
        Kind::Memory => None,
        _ => Some(instance(&open(store_url, what).await, key()).await),
    };
    let logs_out = other
        .as_ref()
        .map_or(app.base.as_str(), |o| o.base.as_str());

    let live = Browser::new();
    let done = live.dev_login(&app.base, "ada").await;
    assert_eq!(done.location.as_deref(), Some("/"), "{what}: {}", done.body);
    let live_cookie = live.cookie_header(&app.base).expect("a session cookie");

    for offset in [3_600, -3_600, 0] {
        let step = format!("clock step to {offset:+} s");
        let doomed = Browser::new();
        let done = doomed.dev_login(&app.base, "bob").await;
        assert_eq!(done.location.as_deref(), Some("/"), "{what}: {}", done.body);
        let doomed_cookie = doomed.cookie_header(&app.base).expect("a session cookie");
        // A login at the provider while the clock steps.
        let in_flight = Browser::new();
        let callback = in_flight.dev_authorize(&app.base, "/login", "zoe").await;

        clock.set(offset);
        // The step is in effect: a new login works, and expires 14 days after the app's "now".
        let fresh = Browser::new();
        let done = fresh.dev_login(&app.base, "eve").await;
        assert_eq!(
            done.location.as_deref(),
            Some("/"),
            "{what}, {step}: a new login: {}",
            done.body
        );
        let fresh_cookie = fresh.cookie_header(&app.base).expect("a session cookie");
        // Every step here is over 10 minutes: the pending login is too old (a step forward) or
        // from the future (a step back), and no longer lives 10 minutes plus the step.
        let finished = in_flight.get(&callback).await;
        assert_eq!(
            finished.location.as_deref(),
            Some("/error?code=state_mismatch"),
            "{what}, {step}: a login pending across the step is refused: {}",
            finished.body
        );
        // The SQL stores keep the app's absolute expiry, so the step shows in it; Redis gets a
        // time to live measured on the app's own clock (`EX`), which a step does not change: a
        // host whose clock is behind Redis's would otherwise write 10-minute sessions (a pending
        // login) that are gone at once.
        let expected = match kind {
            Kind::Redis => EXPIRY_SECS,
            _ => EXPIRY_SECS + offset,
        };
        if let Some(left) = remaining_secs(kind, store_url, &fresh_cookie).await {
            assert!(
                (left - expected).abs() < 120,
                "{what}, {step}: the new session expires in {left} s (the app's clock is not stepped?)"
            );
        }
        for (who, cookie) in [("live", &live_cookie), ("new", &fresh_cookie)] {
            let page = get_with_cookie(&home, cookie).await;
            assert_eq!(
                page.status(),
                StatusCode::OK,
                "{what}, {step}: the {who} session"
            );
            if let Some(other) = &other {
                assert_eq!(
                    status_with_cookie(&private_url(other), cookie).await,
                    StatusCode::OK,
                    "{what}, {step}: the {who} session on the unstepped instance"
                );
            }
        }
        assert_eq!(
            status_with_cookie(&home, &doomed_cookie).await,
            StatusCode::OK
        );
        let out = get_with_cookie(&format!("{logs_out}/logout"), &doomed_cookie).await;
        assert_eq!(
            out.status(),
            StatusCode::SEE_OTHER,
            "{what}, {step}: logout"
        );
        let bound = match kind {
            Kind::Redis => CACHE_LEASE,
            _ => Duration::from_secs(1),
        };
        let (refused_after, served) =
            refused_within(&home, &doomed_cookie, bound, &format!("{what}, {step}")).await;
        println!(
            "FIGURES | {what} | {step} | 0 failed closed | live session kept | logout refused after {refused_after:.2?} ({served} served meanwhile)"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_clock_steps_keep_sessions_and_logouts() {
    clock_steps(Kind::Memory, "memory", "memory").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_clock_steps_keep_sessions_and_logouts() {
    let dir = TempDir::new("sqlite-clock");
    clock_steps(Kind::Sqlite, &sqlite_url(&dir), "SQLite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_clock_steps_keep_sessions_and_logouts() {
    clock_steps(Kind::Postgres, POSTGRES_URL, "PostgreSQL").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_clock_steps_keep_sessions_and_logouts() {
    clock_steps(Kind::Redis, REDIS_URL, "Redis (cache on)").await;
}
