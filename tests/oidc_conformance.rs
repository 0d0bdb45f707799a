//! Conformance of `examples/oidc.rs` against a real, certified OpenID Provider:
//! the npm package `oidc-provider` (pinned in `tests/oidc-provider/package.json`),
//! started on 127.0.0.1 by each test.
//!
//! The test talks HTTP only (a `reqwest` "browser" with a cookie jar and redirects off,
//! every hop asserted) and never reaches anything but 127.0.0.1.
//!
//! Needs Node.js >= 20 and npm. `node_modules` is installed with `npm ci` from the
//! committed lock file when missing. The example binary is built with
//! `cargo build --example oidc` (a no-op when it is fresh); set `OIDC_EXAMPLE_BIN`
//! to use a prebuilt binary instead.
//!
//! Run: `cargo test --test oidc_conformance -- --nocapture`

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::http_client;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

/// Bound on every wait for a child process (ready line, port).
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Bound on one whole test scenario once both processes are up.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(120);
/// Bound on `npm ci`.
const NPM_TIMEOUT: Duration = Duration::from_secs(300);
/// Bound on `cargo build --example oidc` (a cold build of the stack takes minutes).
const BUILD_TIMEOUT: Duration = Duration::from_secs(1200);
/// Bound on redirect chains.
const MAX_HOPS: usize = 20;

const BASIC_CLIENT: (&str, &str) = ("app-basic", "app-basic-secret-0123456789abcdef");
const POST_CLIENT: (&str, &str) = ("app-post", "app-post-secret-0123456789abcdef");
/// Registered with `private_key_jwt`: no secret (the app's `OIDC_CLIENT_SECRET` is empty).
const JWT_CLIENT: (&str, &str) = ("app-jwt", "");

// ---------------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------------

/// A child process that is killed (and reaped) when dropped, also on panic.
struct ChildGuard {
    name: &'static str,
    child: Child,
    lines: Receiver<String>,
    log: Arc<Mutex<Vec<String>>>,
}

impl ChildGuard {
    /// Spawns `cmd` with piped stdout/stderr; each line is echoed to the test's stderr
    /// (visible with `--nocapture` or on failure), kept in `log`, and stdout lines are
    /// also sent to `lines`.
    fn spawn(name: &'static str, mut cmd: Command) -> ChildGuard {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({cmd:?}): {e}"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        forward(name, "out", stdout, Arc::clone(&log), Some(tx));
        forward(name, "err", stderr, Arc::clone(&log), None);
        ChildGuard {
            name,
            child,
            lines,
            log,
        }
    }

    /// Waits (bounded) for a stdout line satisfying `pred`; returns it.
    fn wait_for_line(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if pred(&line) => return line,
                Ok(_) => continue,
                Err(RecvTimeoutError::Timeout) => panic!(
                    "{}: no {what} within {READY_TIMEOUT:?}; output so far:\n{}",
                    self.name,
                    self.output()
                ),
                Err(RecvTimeoutError::Disconnected) => {
                    // stdout closed: the process is exiting. Give stderr a moment to drain.
                    let status = wait_exit(&mut self.child, Duration::from_secs(5));
                    std::thread::sleep(Duration::from_millis(200));
                    panic!(
                        "{}: exited ({status}) before printing {what}; output:\n{}",
                        self.name,
                        self.output()
                    )
                }
            }
        }
    }

    fn output(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Lines logged so far (both streams).
    fn log_len(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    fn log_since(&self, from: usize) -> Vec<String> {
        self.log.lock().unwrap()[from..].to_vec()
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_exit(child: &mut Child, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.to_string(),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) => return "still running".into(),
            Err(e) => return format!("unknown status: {e}"),
        }
    }
}

fn forward(
    name: &'static str,
    stream: &'static str,
    pipe: impl Read + Send + 'static,
    log: Arc<Mutex<Vec<String>>>,
    tx: Option<mpsc::Sender<String>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            eprintln!("[{name} {stream}] {line}");
            log.lock().unwrap().push(line.clone());
            if let Some(tx) = &tx {
                let _ = tx.send(line);
            }
        }
    });
}

/// Runs a command to completion within `timeout`, killing it past that.
fn run_bounded(what: &str, mut cmd: Command, timeout: Duration) -> Result<(), String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {what} ({cmd:?}): {e}"))?;
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("{what} failed: {status}")),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{what} did not finish within {timeout:?}"));
            }
            Err(e) => return Err(format!("{what}: {e}")),
        }
    }
}

fn free_port() -> u16 {
    common::free_port()
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + READY_TIMEOUT;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nothing accepts connections on 127.0.0.1:{port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------------------------
// The provider (node oidc-provider)
// ---------------------------------------------------------------------------------------------

fn provider_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("oidc-provider")
}

/// `npm ci` once per test process when `node_modules` is missing.
fn ensure_node_modules() {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    let result = DONE.get_or_init(|| {
        let dir = provider_dir();
        if dir
            .join("node_modules/oidc-provider/package.json")
            .is_file()
        {
            return Ok(());
        }
        let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
        let version = Command::new(npm)
            .arg("--version")
            .stdin(Stdio::null())
            .output();
        match version {
            Ok(out) if out.status.success() => {}
            _ => {
                return Err(format!(
                    "npm is not available: install Node.js >= 20 with npm, or run `npm ci` in {}",
                    dir.display()
                ));
            }
        }
        let mut cmd = Command::new(npm);
        cmd.args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir);
        run_bounded("npm ci (tests/oidc-provider)", cmd, NPM_TIMEOUT)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

struct Provider {
    proc: ChildGuard,
    issuer: Url,
}

impl Provider {
    /// Starts `server.mjs` on a free port with `clients`; `extra` are further server flags
    /// (e.g. `--strict-client-auth`, `--client-auth-methods=client_secret_post`).
    fn start(clients: Value, extra: &[&str]) -> Provider {
        ensure_node_modules();
        let node = std::env::var("NODE").unwrap_or_else(|_| "node".into());
        let mut cmd = Command::new(node);
        cmd.current_dir(provider_dir())
            .arg("server.mjs")
            .args(["--port", "0", "--exit-on-stdin-close"])
            .arg("--clients")
            .arg(clients.to_string())
            .args(extra);
        let mut proc = ChildGuard::spawn("oidc-provider", cmd);
        let line = proc.wait_for_line("ready line", |l| l.contains("oidc-provider listening on "));
        let issuer = line.rsplit(' ').next().unwrap().trim();
        let issuer = Url::parse(issuer).unwrap_or_else(|e| panic!("bad issuer {issuer:?}: {e}"));
        assert_eq!(issuer.host_str(), Some("127.0.0.1"));
        Provider { proc, issuer }
    }

    fn url(&self, path: &str) -> Url {
        self.issuer.join(path).unwrap()
    }

    /// The issuer without the trailing slash `Url` adds (what `iss` and discovery say).
    fn issuer_str(&self) -> String {
        self.issuer.as_str().trim_end_matches('/').to_string()
    }

    /// How clients authenticated at the token endpoint since `from`:
    /// `(client_id, registered method, method used)` for each `POST /token`.
    fn token_client_auth_since(&self, from: usize) -> Vec<(String, String, String)> {
        self.requests_since(from)
            .iter()
            .filter(|l| l.starts_with("POST /token "))
            .filter_map(|l| {
                let info = l.split_once(" [client ")?.1;
                let (id, rest) = info.split_once(" registered ")?;
                let (registered, rest) = rest.split_once(", authenticated with ")?;
                let used = rest.split([']', ':']).next()?;
                Some((id.to_string(), registered.to_string(), used.to_string()))
            })
            .collect()
    }

    /// Requests logged by the provider since `from`, e.g. `POST /token -> 200`.
    fn requests_since(&self, from: usize) -> Vec<String> {
        self.proc
            .log_since(from)
            .into_iter()
            .filter(|l| l.contains(" -> ") || l.starts_with("event "))
            .collect()
    }

    /// Like [`requests_since`](Self::requests_since), but first waits (at most a few seconds)
    /// until `done` holds for them: the provider logs a request before it answers, but its
    /// output reaches the test through a pipe and a reader thread.
    fn requests_when(&self, from: usize, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let reqs = self.requests_since(from);
            if done(&reqs) || Instant::now() >= deadline {
                return reqs;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The `POST` requests to `path` (e.g. `/token`, `/token/revocation`) since `from`, parsed;
    /// waits (bounded) until there are at least `at_least`.
    fn posts_since(&self, from: usize, path: &str, at_least: usize) -> Vec<LoggedRequest> {
        let posts = |reqs: &[String]| -> Vec<LoggedRequest> {
            reqs.iter()
                .filter_map(|l| LoggedRequest::parse(l))
                .filter(|r| r.method == "POST" && r.path == path)
                .collect()
        };
        posts(&self.requests_when(from, |reqs| posts(reqs).len() >= at_least))
    }

    /// The pushed authorization requests the provider accepted (`POST /request -> 201`) in the
    /// log lines `reqs`, in order: the client and the pushed parameters (values only of those
    /// `server.mjs` logs, the others empty).
    fn parse_pushes(reqs: &[String]) -> Vec<Pushed> {
        reqs.iter()
            .filter(|l| l.starts_with("POST /request -> 201"))
            .filter_map(|l| {
                let request = LoggedRequest::parse(l)?;
                let client_id = l.split_once(" [client ")?.1.split(' ').next()?.to_owned();
                let mut params: HashMap<String, String> = request
                    .param("pushed")?
                    .split(',')
                    .map(|name| (name.to_owned(), String::new()))
                    .collect();
                let decode = |v: &str| {
                    url::form_urlencoded::parse(format!("v={v}").as_bytes())
                        .next()
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_default()
                };
                for (k, v) in &request.params {
                    if k != "pushed" && k != "request_uri" {
                        params.insert(k.clone(), decode(v));
                    }
                }
                let request_uri = decode(request.param("request_uri")?);
                Some(Pushed {
                    client_id,
                    params,
                    request_uri,
                })
            })
            .collect()
    }

    /// The pushed request the provider issued `request_uri` for (the provider's log reaches the
    /// test with some delay: waits, bounded, until it is there).
    fn pushed_request(&self, request_uri: &str) -> Pushed {
        let find = |reqs: &[String]| -> Option<Pushed> {
            Self::parse_pushes(reqs)
                .into_iter()
                .find(|p| p.request_uri == request_uri)
        };
        find(&self.requests_when(0, |reqs| find(reqs).is_some()))
            .unwrap_or_else(|| panic!("the provider logged no push for {request_uri}"))
    }

    /// The payloads of the provider's `event NAME: PAYLOAD` lines since `from` (e.g. the
    /// fingerprints of refresh tokens for `refresh_token.saved`); waits (bounded) until there
    /// are at least `at_least`.
    fn events_since(&self, from: usize, name: &str, at_least: usize) -> Vec<String> {
        let prefix = format!("event {name}: ");
        let events = |reqs: &[String]| -> Vec<String> {
            reqs.iter()
                .filter_map(|l| l.strip_prefix(&prefix))
                .map(|p| p.trim().to_string())
                .collect()
        };
        events(&self.requests_when(from, |reqs| events(reqs).len() >= at_least))
    }
}

/// A pushed authorization request as `server.mjs` logged it.
#[derive(Debug)]
struct Pushed {
    client_id: String,
    params: HashMap<String, String>,
    /// The `request_uri` the provider issued for it.
    request_uri: String,
}

/// One request line of `server.mjs`:
/// `POST /token -> 200 [client ID registered M, authenticated with M] grant_type=refresh_token refresh_token=#0123456789ab`.
#[derive(Debug)]
struct LoggedRequest {
    method: String,
    path: String,
    status: u16,
    /// The ` NAME=VALUE` pairs after the client bracket (`grant_type`, `token_type_hint`, and
    /// the fingerprints of a presented `refresh_token` / `token`).
    params: HashMap<String, String>,
}

impl LoggedRequest {
    fn parse(line: &str) -> Option<LoggedRequest> {
        let (request, rest) = line.split_once(" -> ")?;
        let (method, url) = request.split_once(' ')?;
        let path = url.split('?').next()?.to_string();
        let status = rest.split(' ').next()?.parse().ok()?;
        // The pairs follow the client bracket (only requests that authenticate a client have them).
        let tail = rest.rsplit_once("] ").map_or("", |(_, tail)| tail);
        let params = tail
            .split_whitespace()
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Some(LoggedRequest {
            method: method.to_string(),
            path,
            status,
            params,
        })
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

/// The key of the `private_key_jwt` client: the app gets the private JWK (`OIDC_CLIENT_KEY`),
/// the provider the public one (the client's registered `jwks`).
fn client_key_jwk(private: bool) -> Value {
    let key = p256::SecretKey::from_slice(&[5; 32]).unwrap();
    let text = if private {
        key.to_jwk_string().to_string()
    } else {
        key.public_key().to_jwk_string()
    };
    let mut jwk: Value = serde_json::from_str(&text).unwrap();
    jwk["kid"] = json!("app-key-1");
    jwk
}

fn client_json(app: &Url, (id, secret): (&str, &str), method: &str) -> Value {
    let base = app.as_str().trim_end_matches('/');
    if method == "private_key_jwt" {
        let mut client = client_json(app, (id, secret), "client_secret_basic");
        let client = client.as_object_mut().unwrap();
        client.remove("client_secret");
        client.insert("token_endpoint_auth_method".into(), json!(method));
        client.insert("token_endpoint_auth_signing_alg".into(), json!("ES256"));
        client.insert("jwks".into(), json!({ "keys": [client_key_jwk(false)] }));
        return Value::Object(client.clone());
    }
    json!({
        "client_id": id,
        "client_secret": secret,
        "token_endpoint_auth_method": method,
        "redirect_uris": [format!("{base}/redirect")],
        "post_logout_redirect_uris": [format!("{base}/logout"), format!("{base}/"), format!("{base}/public")],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
    })
}

// ---------------------------------------------------------------------------------------------
// The example app
// ---------------------------------------------------------------------------------------------

/// The `oidc` example binary: built (once per test process) with `cargo build --example oidc`
/// into the profile directory that holds this test binary, unless `OIDC_EXAMPLE_BIN` is set.
fn example_binary() -> PathBuf {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let result = BIN.get_or_init(|| {
        if let Ok(bin) = std::env::var("OIDC_EXAMPLE_BIN") {
            let bin = PathBuf::from(bin);
            return if bin.is_file() {
                Ok(bin)
            } else {
                Err(format!("OIDC_EXAMPLE_BIN={} is not a file", bin.display()))
            };
        }
        // <target>/debug/deps/oidc_conformance-HASH -> <target>/debug/examples/oidc
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .ok_or("cannot locate the target profile directory")?;
        let bin = profile_dir
            .join("examples")
            .join(format!("oidc{}", std::env::consts::EXE_SUFFIX));
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let exists =
            source.join("oidc.rs").is_file() || source.join("oidc").join("main.rs").is_file();
        if !exists {
            return Err(format!(
                "the example is missing: no {}/oidc.rs (nor oidc/main.rs)",
                source.display()
            ));
        }
        // Always ask cargo: a no-op when fresh, a rebuild when the example changed since
        // `cargo test` last built it (`cargo test --test X` does not build examples).
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        // The same flags as the test run and a shell's environment (not the variables cargo
        // sets for tests): otherwise the two builds keep invalidating each other's dependencies.
        cmd.env_clear();
        for key in [
            "PATH",
            "HOME",
            "CARGO_HOME",
            "RUSTUP_HOME",
            "RUSTUP_TOOLCHAIN",
        ] {
            if let Some(value) = std::env::var_os(key) {
                cmd.env(key, value);
            }
        }
        cmd.args([
            "build",
            "--workspace",
            "--all-features",
            "--example",
            "oidc",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
        // Build into the target directory that holds this test binary.
        if let Some(target_dir) = profile_dir.parent() {
            cmd.env("CARGO_TARGET_DIR", target_dir);
        }
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        eprintln!("building the example: {cmd:?}");
        run_bounded("cargo build --example oidc", cmd, BUILD_TIMEOUT)?;
        if bin.is_file() {
            Ok(bin)
        } else {
            Err(format!(
                "cargo built the example, but {} is missing",
                bin.display()
            ))
        }
    });
    match result {
        Ok(bin) => bin.clone(),
        Err(e) => panic!("{e}"),
    }
}

struct App {
    _proc: ChildGuard,
    base: Url,
}

impl App {
    /// Starts the example; `env` adds variables such as `ALLOWED_DOMAIN` or `OIDC_SCOPES`
    /// (both are removed from the inherited environment otherwise).
    fn start(
        provider: &Provider,
        port: u16,
        (id, secret): (&str, &str),
        env: &[(&str, &str)],
    ) -> App {
        let bin = example_binary();
        let bind = format!("127.0.0.1:{port}");
        let base = Url::parse(&format!("http://{bind}/")).unwrap();
        let mut cmd = Command::new(bin);
        cmd.env("OIDC_ISSUER", provider.issuer_str())
            .env("OIDC_CLIENT_ID", id)
            .env("OIDC_CLIENT_SECRET", secret)
            .env("BIND", &bind)
            .env("PUBLIC_URL", format!("http://{bind}"))
            .env("SESSION_STORE", "memory")
            .env_remove("ALLOWED_DOMAIN")
            .env_remove("OIDC_SCOPES")
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .env("NO_PROXY", "*")
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        for proxy in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ] {
            cmd.env_remove(proxy);
        }
        cmd.envs(env.iter().copied());
        let mut proc = ChildGuard::spawn("app", cmd);
        proc.wait_for_line(&format!("ready line containing {bind}"), |l| {
            l.contains(&bind)
        });
        wait_for_port(port);
        App { _proc: proc, base }
    }

    fn url(&self, path: &str) -> Url {
        self.base.join(path).unwrap()
    }

    /// `PUBLIC_URL` + `/redirect`.
    fn redirect_uri(&self) -> String {
        format!("{}redirect", self.base)
    }
}

// ---------------------------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------------------------

struct Page {
    url: Url,
    status: StatusCode,
    location: Option<Url>,
    body: String,
}

impl Page {
    fn is_redirect(&self) -> bool {
        self.status.is_redirection()
    }

    fn location(&self) -> &Url {
        self.location.as_ref().unwrap_or_else(|| {
            panic!(
                "{} {}: redirect without Location; body:\n{}",
                self.status, self.url, self.body
            )
        })
    }

    fn describe(&self) -> String {
        let body: String = self.body.chars().take(2000).collect();
        format!(
            "{} {} (Location: {})\n{}",
            self.status,
            self.url,
            self.location.as_ref().map(Url::as_str).unwrap_or("-"),
            body
        )
    }
}

/// A cookie-keeping client that follows no redirect by itself and uses no proxy.
#[derive(Clone)]
struct Browser {
    http: reqwest::Client,
}

impl Browser {
    fn new() -> Browser {
        // Asks for HTML as a browser's page navigation does: the app answers anonymous
        // non-navigations with a 401 instead of the 303 to its login page.
        let accept =
            reqwest::header::HeaderValue::from_static("text/html,application/xhtml+xml,*/*;q=0.8");
        let http = http_client()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(reqwest::header::HeaderMap::from_iter([(
                reqwest::header::ACCEPT,
                accept,
            )]))
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        Browser { http }
    }

    async fn send(&self, url: &Url, req: reqwest::RequestBuilder) -> Page {
        assert_loopback(url);
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("request to {url} failed: {e}"));
        let status = resp.status();
        let location = resp
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().expect("Location is not ASCII"))
            .map(|l| {
                url.join(l)
                    .unwrap_or_else(|e| panic!("bad Location {l:?} from {url}: {e}"))
            });
        let body = resp.text().await.unwrap_or_default();
        Page {
            url: url.clone(),
            status,
            location,
            body,
        }
    }

    async fn get(&self, url: &Url) -> Page {
        self.send(url, self.http.get(url.clone())).await
    }

    async fn post_form(&self, url: &Url, form: &[(String, String)]) -> Page {
        self.send(url, self.http.post(url.clone()).form(form)).await
    }
}

fn assert_loopback(url: &Url) {
    assert_eq!(
        url.host_str(),
        Some("127.0.0.1"),
        "the test must reach only 127.0.0.1, not {url}"
    );
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

fn query(url: &Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

// ---------------------------------------------------------------------------------------------
// Tiny HTML helpers (enough for the example's pages and oidc-provider's dev interactions)
// ---------------------------------------------------------------------------------------------

/// The attributes of every `<tag ...>` in `html` (names lowercased, values HTML-unescaped).
fn tags(html: &str, tag: &str) -> Vec<HashMap<String, String>> {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{tag}");
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = lower[at..].find(&open) {
        let start = at + i + open.len();
        at = start;
        // `<a` must not match `<abbr`.
        if !lower[start..].starts_with(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/') {
            continue;
        }
        out.push(parse_attrs(&html[start..], &mut at));
    }
    out
}

/// Parses attributes up to the closing `>`; advances `at` past it.
fn parse_attrs(s: &str, at: &mut usize) -> HashMap<String, String> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut attrs = HashMap::new();
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() || b[i] == b'>' {
            *at += i;
            return attrs;
        }
        let name_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let name = s[name_start..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let v_start = i + 1;
                i = v_start;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
                value = s[v_start..i.min(b.len())].to_string();
                i += 1;
            } else {
                let v_start = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                value = s[v_start..i].to_string();
            }
        }
        if name.is_empty() {
            i += 1;
            continue;
        }
        attrs.insert(name, html_escape::decode_html_entities(&value).into_owned());
    }
}

/// A `<form>`'s action (resolved against `base`) and its hidden inputs.
fn parse_form(html: &str, base: &Url, id: Option<&str>) -> (Url, Vec<(String, String)>) {
    let forms = tags(html, "form");
    let f = forms
        .iter()
        .find(|f| id.is_none_or(|id| f.get("id").map(String::as_str) == Some(id)))
        .unwrap_or_else(|| panic!("no <form> (id {id:?}) at {base}:\n{html}"));
    let action = base
        .join(f.get("action").map(String::as_str).unwrap_or(""))
        .unwrap();
    let hidden = tags(html, "input")
        .into_iter()
        .filter(|i| {
            i.get("type")
                .is_some_and(|t| t.eq_ignore_ascii_case("hidden"))
        })
        .filter_map(|i| {
            Some((
                i.get("name")?.clone(),
                i.get("value").cloned().unwrap_or_default(),
            ))
        })
        .collect();
    (action, hidden)
}

// ---------------------------------------------------------------------------------------------
// Flows
// ---------------------------------------------------------------------------------------------

/// `GET /` anonymous: 303 to `/login`.
async fn expect_anonymous(b: &Browser, app: &App) -> Url {
    let page = b.get(&app.url("/")).await;
    see_other_within(&page, app, "/login", "anonymous GET /")
}

/// Asserts that `page` is a `303 See Other` to `path` on the app; the URL it names.
fn see_other_within(page: &Page, app: &App, path: &str, what: &str) -> Url {
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "{what} must be a 303 to {path}: {}",
        page.describe()
    );
    let to = page.location().clone();
    assert!(
        same_origin(&to, &app.base),
        "{what} redirects off the app: {}",
        page.describe()
    );
    assert_eq!(
        to.path(),
        path,
        "{what} must redirect to {path}: {}",
        page.describe()
    );
    to
}

/// `GET /login[?next=..]` -> the provider's authorization URL, checked.
async fn authorization_url(
    b: &Browser,
    app: &App,
    provider: &Provider,
    login_url: &Url,
    client_id: &str,
) -> Url {
    let page = b.get(login_url).await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "GET /login: {}",
        page.describe()
    );
    let auth_endpoint = provider.url("/auth");
    let links: Vec<Url> = tags(&page.body, "a")
        .into_iter()
        .filter_map(|a| a.get("href").cloned())
        .filter_map(|h| page.url.join(&h).ok())
        .collect();
    let auth = links
        .iter()
        .find(|u| same_origin(u, &auth_endpoint) && u.path() == auth_endpoint.path())
        .unwrap_or_else(|| {
            panic!("/login has no <a href> to the authorization endpoint {auth_endpoint}; links {links:?}:\n{}", page.body)
        })
        .clone();
    let q = query(&auth);
    let want = |k: &str| {
        q.get(k)
            .unwrap_or_else(|| panic!("authorization URL lacks {k}: {auth}"))
    };
    // oidc-provider advertises pushed authorization requests (RFC 9126), so the app pushed the
    // parameters first: the browser carries the client and the request's reference only.
    if q.contains_key("request_uri") {
        let mut keys: Vec<&str> = q.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["client_id", "request_uri"], "{auth}");
        assert_eq!(want("client_id"), client_id, "{auth}");
        assert!(
            want("request_uri").starts_with("urn:ietf:params:oauth:request_uri:"),
            "{auth}"
        );
        let last = provider.pushed_request(want("request_uri"));
        assert_eq!(last.client_id, client_id);
        for (k, v) in [
            ("response_type", "code"),
            ("code_challenge_method", "S256"),
            ("redirect_uri", app.redirect_uri().as_str()),
        ] {
            assert_eq!(
                last.params.get(k).map(String::as_str),
                Some(v),
                "{k}: {last:?}"
            );
        }
        for k in ["state", "nonce", "code_challenge", "scope"] {
            assert!(last.params.contains_key(k), "{k} not pushed: {last:?}");
        }
        return auth;
    }
    assert_eq!(want("response_type"), "code", "{auth}");
    assert_eq!(want("client_id"), client_id, "{auth}");
    assert_eq!(want("redirect_uri"), &app.redirect_uri(), "{auth}");
    assert_eq!(want("code_challenge_method"), "S256", "{auth}");
    assert!(want("code_challenge").len() >= 43, "{auth}");
    assert!(
        want("state").len() >= 16,
        "state looks too short to be random: {auth}"
    );
    assert!(
        want("scope").split(' ').any(|s| s == "openid"),
        "scope must include openid: {auth}"
    );
    auth
}

/// The parameters of the authorization request behind `auth`: its query, or, for a pushed
/// request, what the provider logged of the last push.
fn authorization_params(provider: &Provider, auth: &Url) -> HashMap<String, String> {
    if query(auth).contains_key("request_uri") {
        provider.pushed_request(&query(auth)["request_uri"]).params
    } else {
        query(auth)
    }
}

/// Drives the provider from the authorization URL as a user (dev interactions: login form
/// with any name/password, then consent) until it redirects to the app; returns that URL.
async fn authorize_at_provider(
    b: &Browser,
    app_base: &Url,
    provider: &Provider,
    auth: &Url,
    login: &str,
) -> Url {
    let mut page = b.get(auth).await;
    for _ in 0..MAX_HOPS {
        if page.is_redirect() {
            let next = page.location().clone();
            if same_origin(&next, app_base) {
                return next;
            }
            assert!(
                same_origin(&next, &provider.issuer),
                "provider redirects elsewhere: {}",
                page.describe()
            );
            page = b.get(&next).await;
            continue;
        }
        assert_eq!(
            page.status,
            StatusCode::OK,
            "at the provider: {}",
            page.describe()
        );
        let (action, mut fields) = parse_form(&page.body, &page.url, None);
        let prompt = fields
            .iter()
            .find(|(k, _)| k == "prompt")
            .map(|(_, v)| v.clone());
        match prompt.as_deref() {
            Some("login") => {
                fields.push(("login".into(), login.into()));
                fields.push(("password".into(), "any-password".into()));
            }
            Some("consent") => {}
            other => panic!(
                "unexpected provider page (prompt {other:?}): {}",
                page.describe()
            ),
        }
        page = b.post_form(&action, &fields).await;
    }
    panic!("more than {MAX_HOPS} hops at the provider")
}

/// A complete login from an anonymous browser; returns the callback URL the provider issued.
async fn login(b: &Browser, app: &App, provider: &Provider, client_id: &str, user: &str) -> Url {
    login_via(b, app, provider, client_id, user).await.1
}

/// [`login`], returning the authorization URL the app sent the browser to as well.
async fn login_via(
    b: &Browser,
    app: &App,
    provider: &Provider,
    client_id: &str,
    user: &str,
) -> (Url, Url) {
    let login_url = expect_anonymous(b, app).await;
    let auth = authorization_url(b, app, provider, &login_url, client_id).await;
    let callback = authorize_at_provider(b, &app.base, provider, &auth, user).await;
    check_callback(&callback, app, provider, &auth);

    let page = b.get(&callback).await;
    see_other_within(&page, app, "/", &format!("the callback GET {callback}"));
    expect_logged_in(b, app, user).await;
    (auth, callback)
}

fn check_callback(callback: &Url, app: &App, provider: &Provider, auth: &Url) {
    assert!(
        callback.as_str().starts_with(&app.redirect_uri()),
        "provider redirected to {callback}, not to {}",
        app.redirect_uri()
    );
    let q = query(callback);
    assert!(q.contains_key("code"), "no code in {callback}");
    // With a pushed request, the state went to the provider, not through the browser.
    if !query(auth).contains_key("request_uri") {
        assert_eq!(
            q.get("state"),
            query(auth).get("state"),
            "state not echoed: {callback}"
        );
    }
    assert!(q.contains_key("state"), "no state in {callback}");
    assert_eq!(
        q.get("iss").map(String::as_str),
        Some(provider.issuer_str().as_str()),
        "{callback}"
    );
}

async fn expect_logged_in(b: &Browser, app: &App, user: &str) {
    let page = b.get(&app.url("/")).await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "GET / after login: {}",
        page.describe()
    );
    let text = first_text(&page.body);
    assert!(
        text.contains("Logged in as"),
        "GET / lacks 'Logged in as': {}",
        page.describe()
    );
    assert!(
        text.contains(&format!("Logged in as oidc:{user}")),
        "GET / does not show 'Logged in as oidc:{user}' (the provider's sub, qualified): {}",
        page.describe()
    );
    let email = format!("{user}@example.com");
    assert!(
        page.body.contains(&email),
        "GET / does not show the email {email}: {}",
        page.describe()
    );
}

/// Logs out with `POST /logout` or `GET /logout`, following the app's redirects and, if the
/// app uses RP-initiated logout, confirming the provider's logout page; then `/` is anonymous.
/// Returns whether the logout went through the provider's end-session endpoint.
async fn logout(b: &Browser, app: &App, provider: &Provider, post: bool) -> bool {
    let url = app.url("/logout");
    let mut page = if post {
        b.post_form(&url, &[]).await
    } else {
        // A click on the app's own "Log out" link (another site's link gets a confirmation).
        let req = b
            .http
            .get(url.clone())
            .header("sec-fetch-site", "same-origin");
        b.send(&url, req).await
    };
    let what = if post { "POST /logout" } else { "GET /logout" };
    assert!(
        !page.status.is_server_error(),
        "{what}: {}",
        page.describe()
    );
    assert!(
        page.is_redirect() || page.status == StatusCode::OK,
        "{what} must redirect (or show a page): {}",
        page.describe()
    );
    let mut hops = vec![format!("{what} -> {}", page.status)];
    let mut at_provider = false;
    for _ in 0..MAX_HOPS {
        if page.is_redirect() {
            let next = page.location().clone();
            hops.push(format!("{} {}", page.status, short(&next)));
            at_provider |= same_origin(&next, &provider.issuer);
            // RP-initiated logout's return carries the state the app sent, which it accepts.
            if at_provider && same_origin(&next, &app.base) && next.path() == "/logout" {
                assert!(
                    query(&next).contains_key("state"),
                    "the provider came back without the app's state: {hops:?}"
                );
            }
            assert_ne!(
                next.path(),
                "/error",
                "the logout ended on the error page: {hops:?}"
            );
            assert!(
                same_origin(&next, &app.base) || same_origin(&next, &provider.issuer),
                "logout redirects off loopback peers: {}",
                page.describe()
            );
            page = b.get(&next).await;
            continue;
        }
        if same_origin(&page.url, &provider.issuer) && page.body.contains("op.logoutForm") {
            let (action, mut fields) = parse_form(&page.body, &page.url, Some("op.logoutForm"));
            fields.push(("logout".into(), "yes".into()));
            hops.push(format!("confirm at the provider: POST {}", short(&action)));
            page = b.post_form(&action, &fields).await;
            continue;
        }
        assert!(
            !page.status.is_server_error(),
            "during logout: {}",
            page.describe()
        );
        hops.push(format!("{} {}", page.status, short(&page.url)));
        break;
    }
    eprintln!("logout: {}", hops.join(" | "));
    expect_anonymous(b, app).await;
    at_provider
}

/// A URL without its query (which may hold tokens), for logs.
fn short(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    if url.query().is_some() {
        format!("{u}?...")
    } else {
        u.to_string()
    }
}

/// A callback the app must refuse: never a 5xx; a redirect to `/login` or `/error...` (which
/// renders), or an error page (200 or 4xx) that does not say "Logged in as".
async fn expect_refused(b: &Browser, app: &App, callback: &Url, what: &str) -> Page {
    let page = b.get(callback).await;
    assert!(
        !page.status.is_server_error(),
        "{what}: must be refused without a 5xx: {}",
        page.describe()
    );
    if page.is_redirect() {
        let to = page.location().clone();
        assert!(
            same_origin(&to, &app.base),
            "{what}: redirects off the app: {}",
            page.describe()
        );
        assert!(
            to.path() == "/login" || to.path().starts_with("/error"),
            "{what}: must end on /login or /error, not {to}: {}",
            page.describe()
        );
        if to.path().starts_with("/error") {
            let err = b.get(&to).await;
            assert!(
                err.status == StatusCode::OK || err.status.is_client_error(),
                "{what}: the error page {to} is public and renders: {}",
                err.describe()
            );
            eprintln!(
                "{what}: refused -> {to} -> {} {}",
                err.status,
                first_text(&err.body)
            );
        } else {
            eprintln!("{what}: refused -> {to}");
        }
    } else {
        assert!(
            page.status.is_client_error() || page.status == StatusCode::OK,
            "{what}: unexpected status: {}",
            page.describe()
        );
        assert!(
            !page.body.contains("Logged in as"),
            "{what}: accepted: {}",
            page.describe()
        );
        eprintln!(
            "{what}: refused with {} {}",
            page.status,
            first_text(&page.body)
        );
    }
    page
}

/// The text of an HTML page (tags dropped, whitespace collapsed), at most 500 characters.
fn first_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    out.chars().take(500).collect()
}

/// Both processes for one scenario.
struct Setup {
    provider: Provider,
    app: App,
}

fn setup(client: (&str, &str), method: &str) -> Setup {
    setup_with(client, method, &[], true, &[])
}

/// `extra`: provider flags; `both`: register both clients (else only `client`).
/// `app_env`: further environment of the app (e.g. `ALLOWED_DOMAIN`, `OIDC_SCOPES`).
fn setup_with(
    client: (&str, &str),
    method: &str,
    extra: &[&str],
    both: bool,
    app_env: &[(&str, &str)],
) -> Setup {
    example_binary(); // build first: the provider's and the app's ready timeouts stay short
    let port = free_port();
    let base = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    let clients = if both {
        json!([
            client_json(&base, BASIC_CLIENT, "client_secret_basic"),
            client_json(&base, POST_CLIENT, "client_secret_post"),
        ])
    } else {
        json!([client_json(&base, client, method)])
    };
    assert!(
        clients
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["client_id"] == client.0 && c["token_endpoint_auth_method"] == method)
    );
    let provider = Provider::start(clients, extra);
    let app = App::start(&provider, port, client, app_env);
    Setup { provider, app }
}

async fn bounded<F: std::future::Future<Output = ()>>(f: F) {
    tokio::time::timeout(SCENARIO_TIMEOUT, f)
        .await
        .unwrap_or_else(|_| panic!("scenario did not finish within {SCENARIO_TIMEOUT:?}"));
}

// ---------------------------------------------------------------------------------------------
// Tests against the example
// ---------------------------------------------------------------------------------------------

/// (a)-(e): full login and logout with a `client_secret_basic` client.
#[tokio::test]
async fn login_and_logout_with_client_secret_basic() {
    let s = setup(BASIC_CLIENT, "client_secret_basic");
    bounded(async {
        let b = Browser::new();
        let before = s.provider.proc.log_len();
        login(&b, &s.app, &s.provider, BASIC_CLIENT.0, "alice").await;
        let reqs = s.provider.requests_since(before);
        assert!(
            reqs.iter().any(|l| l.starts_with("POST /token -> 200")),
            "the app never redeemed the code at the provider: {reqs:#?}"
        );
        note_client_auth(&s.provider, before);
        // oidcc-client-test-client-secret-basic: the secret went in HTTP Basic.
        let auth = s.provider.token_client_auth_since(before);
        assert!(!auth.is_empty(), "no token request logged");
        assert!(
            auth.iter()
                .all(|(_, _, used)| used == "client_secret_basic"),
            "{auth:?}"
        );
        // Public pages stay reachable while logged in.
        let public = b.get(&s.app.url("/public")).await;
        assert_eq!(
            public.status,
            StatusCode::OK,
            "GET /public: {}",
            public.describe()
        );
        logout(&b, &s.app, &s.provider, true).await;
    })
    .await;
}

/// RFC 9126: a provider that requires pushed authorization requests (its discovery document
/// says so): the app pushes each login's parameters, authenticated as at the token endpoint, and
/// the browser carries only the client and the `request_uri` (checked by `authorization_url`).
#[tokio::test]
async fn pushed_authorization_requests_when_the_provider_requires_them() {
    let s = setup_with(
        BASIC_CLIENT,
        "client_secret_basic",
        &["--require-par"],
        true,
        &[],
    );
    bounded(async {
        let b = Browser::new();
        let before = s.provider.proc.log_len();
        let (auth, _) = login_via(&b, &s.app, &s.provider, BASIC_CLIENT.0, "alice").await;
        assert!(query(&auth).contains_key("request_uri"), "{auth}");
        let reqs = s.provider.requests_since(before);
        assert!(
            reqs.iter().any(|l| l.starts_with(
                "POST /request -> 201 [client app-basic registered client_secret_basic, authenticated with client_secret_basic]"
            )),
            "{reqs:#?}"
        );
        // An unpushed request is refused by this provider: the app never sent one.
        assert!(
            !reqs.iter().any(|l| l.starts_with("GET /auth?") && l.contains("code_challenge")),
            "{reqs:#?}"
        );
        logout(&b, &s.app, &s.provider, true).await;
    })
    .await;
}

/// FAPI 2.0 Security Profile (oidc-provider's `fapi` profile 2.0): a client registered with
/// `private_key_jwt`, DPoP-bound access tokens, ES256 ID tokens and pushed requests required.
/// The app is given the issuer, the client id and the key, nothing else, and logs in: discovery
/// turns on everything the profile needs.
#[tokio::test]
async fn fapi2_profile_with_the_issuer_the_client_id_and_the_key_only() {
    example_binary();
    let port = free_port();
    let base = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    let mut client = client_json(&base, JWT_CLIENT, "private_key_jwt");
    client["dpop_bound_access_tokens"] = json!(true);
    client["id_token_signed_response_alg"] = json!("ES256");
    client["require_pushed_authorization_requests"] = json!(true);
    let provider = Provider::start(json!([client]), &["--fapi2", "--strict-client-auth"]);
    let key = client_key_jwk(true).to_string();
    let app = App::start(
        &provider,
        port,
        JWT_CLIENT,
        &[("OIDC_CLIENT_KEY", key.as_str())],
    );
    bounded(async {
        let b = Browser::new();
        let (auth, _) = login_via(&b, &app, &provider, JWT_CLIENT.0, "fay").await;
        assert!(query(&auth).contains_key("request_uri"), "{auth}");
        let log = provider.requests_since(0);
        let token = log
            .iter()
            .find(|l| {
                l.starts_with("POST /token -> 200") && l.contains("grant_type=authorization_code")
            })
            .unwrap_or_else(|| panic!("{log:#?}"));
        assert!(
            token.contains("authenticated with private_key_jwt") && token.ends_with(" dpop=1"),
            "{token}"
        );
        assert!(
            log.iter()
                .any(|l| l.starts_with("GET /me -> 200") && l.ends_with(" dpop=1")),
            "{log:#?}"
        );
        logout(&b, &app, &provider, true).await;
    })
    .await;
}

/// `private_key_jwt` with an RSA key (PS256, as the client registered it): the app is given the
/// key in PEM and its algorithm (`OIDC_CLIENT_KEY_ALG`), and the provider, strict about the
/// method, accepts its assertions at the pushed request and the token endpoint.
#[tokio::test]
async fn private_key_jwt_with_an_rsa_key() {
    use aws_lc_rs::encoding::AsDer as _;
    use aws_lc_rs::signature::KeyPair as _;
    example_binary();
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let pem = p256::pkcs8::der::pem::encode_string(
        "PRIVATE KEY",
        p256::pkcs8::LineEnding::LF,
        pair.as_der().unwrap().as_ref(),
    )
    .unwrap();
    let public = aws_lc_rs::rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let port = free_port();
    let base = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    let mut client = client_json(&base, JWT_CLIENT, "private_key_jwt");
    client["token_endpoint_auth_signing_alg"] = json!("PS256");
    client["jwks"] = json!({ "keys": [{
        "kty": "RSA", "n": b64(&public.n), "e": b64(&public.e), "alg": "PS256", "use": "sig",
    }]});
    let provider = Provider::start(json!([client]), &["--strict-client-auth"]);
    let app = App::start(
        &provider,
        port,
        JWT_CLIENT,
        &[
            ("OIDC_CLIENT_KEY", pem.as_str()),
            ("OIDC_CLIENT_KEY_ALG", "PS256"),
        ],
    );
    bounded(async {
        let b = Browser::new();
        login(&b, &app, &provider, JWT_CLIENT.0, "ron").await;
        let log = provider.requests_since(0);
        for path in ["POST /request -> 201", "POST /token -> 200"] {
            assert!(
                log.iter().any(|l| l.starts_with(path)
                    && l.contains("authenticated with private_key_jwt")
                    && l.contains("assertion_alg=PS256")),
                "{path}: {log:#?}"
            );
        }
        logout(&b, &app, &provider, true).await;
    })
    .await;
}

/// (f): the same with a `client_secret_post` client; logout with `GET /logout`.
#[tokio::test]
async fn login_and_logout_with_client_secret_post() {
    let s = setup(POST_CLIENT, "client_secret_post");
    bounded(async {
        let b = Browser::new();
        let before = s.provider.proc.log_len();
        login(&b, &s.app, &s.provider, POST_CLIENT.0, "bob").await;
        note_client_auth(&s.provider, before);
        logout(&b, &s.app, &s.provider, false).await;
        // A second login in the same browser (the provider may skip login/consent now).
        login(&b, &s.app, &s.provider, POST_CLIENT.0, "bob").await;
        logout(&b, &s.app, &s.provider, true).await;
    })
    .await;
}

/// Prints how the app authenticated at the token endpoint (oidc-provider by default accepts
/// client_secret_basic and client_secret_post interchangeably; see the strict test below).
fn note_client_auth(provider: &Provider, from: usize) {
    for (id, registered, used) in provider.token_client_auth_since(from) {
        if registered == used {
            eprintln!("client {id}: authenticated with {used} as registered");
        } else {
            eprintln!(
                "NOTE: client {id} is registered for {registered} but the app authenticated with {used}"
            );
        }
    }
}

/// A provider that supports (and advertises in discovery) only `client_secret_post` and, like
/// many real providers, refuses any other mechanism: the app must send the secret in the body.
#[tokio::test]
async fn client_secret_post_only_provider() {
    let s = setup_with(
        POST_CLIENT,
        "client_secret_post",
        &[
            "--strict-client-auth",
            "--client-auth-methods=client_secret_post",
        ],
        false,
        &[],
    );
    bounded(async {
        let b = Browser::new();
        let before = s.provider.proc.log_len();
        let login_url = expect_anonymous(&b, &s.app).await;
        let auth = authorization_url(&b, &s.app, &s.provider, &login_url, POST_CLIENT.0).await;
        let callback = authorize_at_provider(&b, &s.app.base, &s.provider, &auth, "grace").await;
        let page = b.get(&callback).await;
        let auths = s.provider.token_client_auth_since(before);
        assert!(
            auths.iter().all(|(_, registered, used)| registered == used),
            "the provider advertises only client_secret_post, but the app authenticated with {auths:?}; \
             callback answered {}",
            page.describe()
        );
        assert_eq!(page.status, StatusCode::SEE_OTHER, "callback: {}", page.describe());
        assert_eq!(page.location().path(), "/", "callback: {}", page.describe());
        expect_logged_in(&b, &s.app, "grace").await;
    })
    .await;
}

/// The example documents that `/logout` "also ends the session at the provider when it offers
/// RP-initiated logout" (oidc-provider does: `end_session_endpoint`). Then logout must pass
/// through the provider's end-session endpoint, and the next login must ask for the user's
/// credentials again instead of silently reusing the provider session.
#[tokio::test]
async fn logout_ends_the_provider_session() {
    let s = setup(BASIC_CLIENT, "client_secret_basic");
    bounded(async {
        let b = Browser::new();
        login(&b, &s.app, &s.provider, BASIC_CLIENT.0, "judy").await;
        let before = s.provider.proc.log_len();
        let via_provider = logout(&b, &s.app, &s.provider, true).await;
        assert!(
            via_provider,
            "POST /logout never reached the provider's end_session_endpoint; provider saw: {:#?}",
            s.provider.requests_since(before)
        );
        // The provider session is gone: the login form is shown again.
        let login_url = s.app.url("/login");
        let auth = authorization_url(&b, &s.app, &s.provider, &login_url, BASIC_CLIENT.0).await;
        let mut page = b.get(&auth).await;
        for _ in 0..MAX_HOPS {
            if !page.is_redirect() || same_origin(page.location(), &s.app.base) {
                break;
            }
            let next = page.location().clone();
            page = b.get(&next).await;
        }
        assert!(
            page.status == StatusCode::OK && page.body.contains("name=\"login\""),
            "after logout the provider still had a session (no login form): {}",
            page.describe()
        );
    })
    .await;
}

/// `ALLOWED_DOMAIN`: the provider's verified `<login>@example.com` gets in when the domain
/// matches (case-insensitively), and is refused (not logged in, no 5xx) when it does not.
#[tokio::test]
async fn allowed_domain_is_enforced() {
    {
        let s = setup_with(
            BASIC_CLIENT,
            "client_secret_basic",
            &[],
            true,
            &[("ALLOWED_DOMAIN", "EXAMPLE.com")],
        );
        bounded(async {
            let b = Browser::new();
            login(&b, &s.app, &s.provider, BASIC_CLIENT.0, "heidi").await;
        })
        .await;
    }
    let s = setup_with(
        BASIC_CLIENT,
        "client_secret_basic",
        &[],
        true,
        &[("ALLOWED_DOMAIN", "example.org")],
    );
    bounded(async {
        let b = Browser::new();
        let login_url = expect_anonymous(&b, &s.app).await;
        let auth = authorization_url(&b, &s.app, &s.provider, &login_url, BASIC_CLIENT.0).await;
        let callback = authorize_at_provider(&b, &s.app.base, &s.provider, &auth, "ivan").await;
        expect_refused(&b, &s.app, &callback, "email outside ALLOWED_DOMAIN").await;
        expect_anonymous(&b, &s.app).await;
    })
    .await;
}

/// (g): the callback URL of a successful login, fetched again, is refused.
#[tokio::test]
async fn replayed_callback_is_refused() {
    let s = setup(BASIC_CLIENT, "client_secret_basic");
    bounded(async {
        let b = Browser::new();
        let callback = login(&b, &s.app, &s.provider, BASIC_CLIENT.0, "carol").await;

        // Replay while still logged in: the state was consumed.
        let before = s.provider.proc.log_len();
        expect_refused(&b, &s.app, &callback, "replayed callback (logged in)").await;
        let reqs = s.provider.requests_since(before);
        if reqs.iter().any(|l| l.starts_with("POST /token")) {
            eprintln!(
                "NOTE: on a replayed callback the app called the token endpoint before rejecting the state \
                 (oidc-provider then revokes the whole grant): {reqs:#?}"
            );
        }

        // Replay after logout: must not log the browser in again.
        logout(&b, &s.app, &s.provider, true).await;
        expect_refused(&b, &s.app, &callback, "replayed callback (after logout)").await;
        expect_anonymous(&b, &s.app).await;

        // A different browser replaying the callback (stolen URL) gets nothing either.
        let thief = Browser::new();
        expect_refused(&thief, &s.app, &callback, "replayed callback (other browser)").await;
        expect_anonymous(&thief, &s.app).await;
    })
    .await;
}

/// (h): a callback whose `state` was forged is refused, and its code is not redeemed.
#[tokio::test]
async fn forged_state_is_refused() {
    let s = setup(BASIC_CLIENT, "client_secret_basic");
    bounded(async {
        let b = Browser::new();
        let login_url = expect_anonymous(&b, &s.app).await;
        let auth = authorization_url(&b, &s.app, &s.provider, &login_url, BASIC_CLIENT.0).await;
        let callback = authorize_at_provider(&b, &s.app.base, &s.provider, &auth, "mallory").await;
        check_callback(&callback, &s.app, &s.provider, &auth);

        let mut forged = callback.clone();
        let pairs: Vec<(String, String)> = callback
            .query_pairs()
            .into_owned()
            .map(|(k, v)| {
                if k == "state" {
                    (k, "forged-state-0123456789abcdefghijklmnop".into())
                } else {
                    (k, v)
                }
            })
            .collect();
        forged.query_pairs_mut().clear().extend_pairs(pairs);

        let before = s.provider.proc.log_len();
        expect_refused(&b, &s.app, &forged, "forged state").await;
        let reqs = s.provider.requests_since(before);
        assert!(
            !reqs.iter().any(|l| l.starts_with("POST /token")),
            "the app redeemed the code although the state was forged: {reqs:#?}"
        );
        expect_anonymous(&b, &s.app).await;

        // A callback without any state is refused too.
        let mut stateless = callback.clone();
        let pairs: Vec<(String, String)> = callback
            .query_pairs()
            .into_owned()
            .filter(|(k, _)| k != "state")
            .collect();
        stateless.query_pairs_mut().clear().extend_pairs(pairs);
        expect_refused(&b, &s.app, &stateless, "callback without state").await;
        expect_anonymous(&b, &s.app).await;
    })
    .await;
}

/// `/login?next=/public` brings the user back to `/public` after the callback.
#[tokio::test]
async fn login_next_parameter_is_honoured() {
    let s = setup(BASIC_CLIENT, "client_secret_basic");
    bounded(async {
        let b = Browser::new();
        let login_url = s.app.url("/login?next=/public");
        let auth = authorization_url(&b, &s.app, &s.provider, &login_url, BASIC_CLIENT.0).await;
        let callback = authorize_at_provider(&b, &s.app.base, &s.provider, &auth, "dave").await;
        check_callback(&callback, &s.app, &s.provider, &auth);
        let page = b.get(&callback).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "callback: {}",
            page.describe()
        );
        let to = page.location();
        assert!(
            same_origin(to, &s.app.base) && to.path() == "/public",
            "next not honoured: {}",
            page.describe()
        );
        expect_logged_in(&b, &s.app, "dave").await;

        // An off-site `next` must not become an open redirect.
        logout(&b, &s.app, &s.provider, true).await;
        let login_url = s.app.url("/login?next=//evil.example/x");
        let auth = authorization_url(&b, &s.app, &s.provider, &login_url, BASIC_CLIENT.0).await;
        let callback = authorize_at_provider(&b, &s.app.base, &s.provider, &auth, "dave").await;
        let page = b.get(&callback).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "callback: {}",
            page.describe()
        );
        assert!(
            same_origin(page.location(), &s.app.base),
            "open redirect via next: {}",
            page.describe()
        );
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Refresh and revocation (`OIDC_SCOPES`, `POST /refresh`, `POST /revoke`)
// ---------------------------------------------------------------------------------------------

/// Scopes that make oidc-provider issue a refresh token (the example then adds
/// `prompt=consent`, without which oidc-provider drops `offline_access`).
const OFFLINE_SCOPES: &str = "openid email profile offline_access";

/// `POST {path}` at the app (an empty form, as the buttons of a page would send it).
async fn post_app(b: &Browser, app: &App, path: &str) -> Page {
    b.post_form(&app.url(path), &[]).await
}

/// The stable code on the library's error page (`Error code: <code>CODE</code>`).
fn error_code(body: &str) -> Option<String> {
    let at = body.find("Error code:")?;
    let rest = &body[at..];
    let start = rest.find("<code>")? + "<code>".len();
    let len = rest[start..].find("</code>")?;
    Some(rest[start..start + len].to_string())
}

/// `page` is the library's error page with `status` and the stable `code` (not a 5xx, not a
/// success page).
fn expect_error_page(page: &Page, status: StatusCode, code: &str, what: &str) {
    assert!(
        !page.status.is_server_error(),
        "{what}: must be refused without a 5xx: {}",
        page.describe()
    );
    assert_eq!(
        (page.status, error_code(&page.body).as_deref()),
        (status, Some(code)),
        "{what}: expected the error page with code {code:?} and status {status}: {}",
        page.describe()
    );
}

/// `page` is the example's 200 page saying `text` (`Tokens refreshed`, `Tokens revoked`).
fn expect_ok_page(page: &Page, text: &str, what: &str, provider_saw: &[String]) {
    assert!(
        page.status == StatusCode::OK && first_text(&page.body).contains(text),
        "{what}: expected 200 with {text:?}: {}\nprovider saw: {provider_saw:#?}",
        page.describe()
    );
}

/// Logs in with `OIDC_SCOPES=openid email profile offline_access` against a provider that
/// rotates refresh tokens, then: two `POST /refresh` (each one `refresh_token` grant with the
/// latest refresh token; the second only works if the app kept the rotated one), `POST /revoke`
/// (RFC 7009 revocation of the current refresh token), after which `POST /refresh` and
/// `POST /revoke` give the error page with `no_tokens`, while the user stays logged in here.
/// The provider checks that the client authenticates with its registered method
/// (`--strict-client-auth`) at the token and the revocation endpoint.
async fn refresh_and_revoke(
    client: (&str, &str),
    method: &str,
    provider_flags: &[&str],
    both: bool,
    user: &str,
) -> Vec<String> {
    let mut flags = vec!["--strict-client-auth", "--rotate-refresh-tokens"];
    flags.extend_from_slice(provider_flags);
    let key = client_key_jwk(true).to_string();
    let mut env = vec![("OIDC_SCOPES", OFFLINE_SCOPES)];
    if method == "private_key_jwt" {
        env.push(("OIDC_CLIENT_KEY", key.as_str()));
    }
    let s = setup_with(client, method, &flags, both, &env);
    bounded(async {
        let b = Browser::new();

        // The login asks for offline_access with prompt=consent; the provider issues one refresh
        // token with the code exchange.
        let before = s.provider.proc.log_len();
        let (auth, _) = login_via(&b, &s.app, &s.provider, client.0, user).await;
        let q = authorization_params(&s.provider, &auth);
        let scopes: Vec<&str> = q.get("scope").map_or(vec![], |v| v.split(' ').collect());
        for scope in OFFLINE_SCOPES.split(' ') {
            assert!(scopes.contains(&scope), "OIDC_SCOPES not requested ({scope} missing): {auth}");
        }
        assert!(
            q.get("prompt").is_some_and(|p| p.split(' ').any(|p| p == "consent")),
            "offline_access without prompt=consent (oidc-provider then drops it): {auth}"
        );
        let codes = s.provider.posts_since(before, "/token", 1);
        assert!(
            codes.iter().any(|r| r.status == 200 && r.param("grant_type") == Some("authorization_code")),
            "the app never redeemed the code: {codes:#?}"
        );
        let issued = s.provider.events_since(before, "refresh_token.saved", 1);
        assert_eq!(
            issued.len(),
            1,
            "the provider should have issued exactly one refresh token at login: {:#?}",
            s.provider.requests_since(before)
        );
        let mut current = issued[0].clone();

        // Two refreshes: each presents the latest refresh token and gets a new one.
        for round in 1..=2 {
            let before = s.provider.proc.log_len();
            let page = post_app(&b, &s.app, "/refresh").await;
            let saw = s.provider.requests_since(before);
            expect_ok_page(&page, "Tokens refreshed", &format!("POST /refresh #{round}"), &saw);
            let grants = s.provider.posts_since(before, "/token", 1);
            assert!(
                grants.len() == 1
                    && grants[0].status == 200
                    && grants[0].param("grant_type") == Some("refresh_token"),
                "POST /refresh #{round}: expected one successful grant_type=refresh_token token request: {:#?}",
                s.provider.requests_since(before)
            );
            assert_eq!(
                grants[0].param("refresh_token"),
                Some(current.as_str()),
                "POST /refresh #{round}: the app did not present the latest refresh token \
                 (fingerprints; the provider issued {current})"
            );
            let rotated = s.provider.events_since(before, "refresh_token.saved", 1);
            assert!(
                rotated.len() == 1 && rotated[0] != current,
                "POST /refresh #{round}: the provider should have rotated the refresh token: {:#?}",
                s.provider.requests_since(before)
            );
            current = rotated[0].clone();
            expect_logged_in(&b, &s.app, user).await;
        }
        note_client_auth(&s.provider, 0);

        // Revocation (RFC 7009) of the current refresh token; the app then forgets the tokens.
        let before = s.provider.proc.log_len();
        let page = post_app(&b, &s.app, "/revoke").await;
        let saw = s.provider.requests_since(before);
        expect_ok_page(&page, "Tokens revoked", "POST /revoke", &saw);
        let revocations = s.provider.posts_since(before, "/token/revocation", 1);
        assert!(
            revocations.len() == 1 && revocations[0].status == 200,
            "POST /revoke: expected one successful request to the revocation endpoint: {:#?}",
            s.provider.requests_since(before)
        );
        assert_eq!(
            (revocations[0].param("token"), revocations[0].param("token_type_hint")),
            (Some(current.as_str()), Some("refresh_token")),
            "POST /revoke: the app should revoke its current refresh token ({current}): {revocations:#?}"
        );
        let destroyed = s.provider.events_since(before, "refresh_token.destroyed", 1);
        assert!(
            destroyed.contains(&current),
            "the provider did not revoke the refresh token {current}: {:#?}",
            s.provider.requests_since(before)
        );

        // No tokens any more: a stable error, no request to the provider; still logged in.
        let before = s.provider.proc.log_len();
        let page = post_app(&b, &s.app, "/refresh").await;
        expect_error_page(&page, StatusCode::BAD_REQUEST, "no_tokens", "POST /refresh after /revoke");
        let page = post_app(&b, &s.app, "/revoke").await;
        expect_error_page(&page, StatusCode::BAD_REQUEST, "no_tokens", "POST /revoke after /revoke");
        let reqs = s.provider.requests_since(before);
        assert!(
            !reqs.iter().any(|l| l.starts_with("POST /token")),
            "without tokens the app still called the provider: {reqs:#?}"
        );
        expect_logged_in(&b, &s.app, user).await;
        logout(&b, &s.app, &s.provider, true).await;
    })
    .await;
    s.provider.requests_since(0)
}

/// RFC 7523 / OpenID Connect Core §9 `private_key_jwt`: a client registered with its public key
/// and no secret. The pushed authorization request, the code exchange, both refreshes and the
/// revocation each carry a fresh ES256 assertion, and the provider (strict about the registered
/// method) accepts them.
#[tokio::test]
async fn refresh_and_revoke_with_private_key_jwt() {
    refresh_and_revoke(JWT_CLIENT, "private_key_jwt", &[], false, "lena").await;
}

/// RFC 9449 DPoP, which oidc-provider advertises: the tokens are bound to a key pair of the
/// session, and the code exchange, the user info request, both refreshes and the revocation
/// carry a proof. With server nonces required (`--dpop-nonce`), the first token request and the
/// first user info request are each refused once with `use_dpop_nonce` and sent again with the
/// nonce, and everything then succeeds.
#[tokio::test]
async fn dpop_binds_the_tokens_and_answers_the_nonce_challenges() {
    let log = refresh_and_revoke(
        BASIC_CLIENT,
        "client_secret_basic",
        &["--dpop-nonce"],
        true,
        "nina",
    )
    .await;
    let lines =
        |prefix: &str| -> Vec<&String> { log.iter().filter(|l| l.starts_with(prefix)).collect() };
    let tokens = lines("POST /token ");
    assert!(!tokens.is_empty());
    assert!(
        tokens.iter().all(|l| l.ends_with(" dpop=1")),
        "a token request without a proof: {tokens:#?}"
    );
    assert!(
        tokens
            .first()
            .is_some_and(|l| l.starts_with("POST /token -> 400")),
        "the first token request meets the nonce challenge: {tokens:#?}"
    );
    let granted = |grant: &str| {
        tokens
            .iter()
            .filter(|l| {
                l.starts_with("POST /token -> 200") && l.contains(&format!("grant_type={grant}"))
            })
            .count()
    };
    assert_eq!(
        (granted("authorization_code"), granted("refresh_token")),
        (1, 2),
        "{tokens:#?}"
    );
    let userinfo = lines("GET /me ");
    assert!(
        userinfo
            .iter()
            .any(|l| l.starts_with("GET /me -> 200") && l.ends_with(" dpop=1")),
        "{userinfo:#?}"
    );
    assert!(
        userinfo.iter().all(|l| l.ends_with(" dpop=1")),
        "{userinfo:#?}"
    );
    let revocations = lines("POST /token/revocation -> 200");
    assert!(
        revocations.iter().all(|l| l.ends_with(" dpop=1")) && !revocations.is_empty(),
        "{revocations:#?}"
    );
    let pushes = lines("POST /request -> 201");
    assert!(
        pushes.iter().all(|l| !l.ends_with(" dpop=1")),
        "no proof where no token is involved"
    );
    // The code is bound to the login's key (RFC 9449 §10): oidc-provider refuses a code exchange
    // whose proof is signed by another key than the pushed `dpop_jkt` names.
    let pushed_names = |line: &str| -> Vec<String> {
        line.split(' ')
            .find_map(|w| w.strip_prefix("pushed="))
            .map(|names| names.split(',').map(str::to_owned).collect())
            .unwrap_or_default()
    };
    assert!(
        !pushes.is_empty()
            && pushes
                .iter()
                .all(|l| pushed_names(l).iter().any(|n| n == "dpop_jkt")),
        "a login without dpop_jkt: {pushes:#?}"
    );
}

#[tokio::test]
async fn refresh_and_revoke_with_client_secret_basic() {
    refresh_and_revoke(BASIC_CLIENT, "client_secret_basic", &[], true, "kate").await;
}

/// With a provider that supports only `client_secret_post` (as in
/// `client_secret_post_only_provider`), so that the app must send the secret in the body of the
/// refresh and the revocation requests too.
#[tokio::test]
async fn refresh_and_revoke_with_client_secret_post() {
    refresh_and_revoke(
        POST_CLIENT,
        "client_secret_post",
        &["--client-auth-methods=client_secret_post"],
        false,
        "leo",
    )
    .await;
}

/// Without `offline_access` the provider issues no refresh token: `POST /refresh` gives the
/// error page with the documented code `unsupported` (no request to the provider, no 5xx), and
/// the user stays logged in. `POST /revoke` then revokes the access token.
#[tokio::test]
async fn refresh_without_offline_access_is_refused_cleanly() {
    let s = setup(BASIC_CLIENT, "client_secret_basic");
    bounded(async {
        let b = Browser::new();
        let before = s.provider.proc.log_len();
        let (auth, _) = login_via(&b, &s.app, &s.provider, BASIC_CLIENT.0, "mia").await;
        assert!(
            !authorization_params(&s.provider, &auth)
                .get("scope")
                .is_some_and(|v| v.split(' ').any(|s| s == "offline_access")),
            "offline_access requested without OIDC_SCOPES: {auth}"
        );
        let issued = s.provider.events_since(before, "refresh_token.saved", 0);
        assert!(
            issued.is_empty(),
            "the provider issued a refresh token: {issued:?}"
        );

        let before = s.provider.proc.log_len();
        let page = post_app(&b, &s.app, "/refresh").await;
        expect_error_page(
            &page,
            StatusCode::BAD_REQUEST,
            "unsupported",
            "POST /refresh without a refresh token",
        );
        let reqs = s.provider.requests_since(before);
        assert!(
            !reqs.iter().any(|l| l.starts_with("POST /token")),
            "the app asked the provider although it holds no refresh token: {reqs:#?}"
        );
        expect_logged_in(&b, &s.app, "mia").await;

        // Revocation falls back to the access token.
        let before = s.provider.proc.log_len();
        let page = post_app(&b, &s.app, "/revoke").await;
        let saw = s.provider.requests_since(before);
        expect_ok_page(&page, "Tokens revoked", "POST /revoke (access token)", &saw);
        let revocations = s.provider.posts_since(before, "/token/revocation", 1);
        assert!(
            revocations.len() == 1
                && revocations[0].status == 200
                && revocations[0].param("token_type_hint") == Some("access_token"),
            "POST /revoke: expected one revocation of the access token: {revocations:#?}"
        );
        let page = post_app(&b, &s.app, "/refresh").await;
        expect_error_page(
            &page,
            StatusCode::BAD_REQUEST,
            "no_tokens",
            "POST /refresh after /revoke",
        );
        expect_logged_in(&b, &s.app, "mia").await;
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// The fixture itself (no example needed): proves the provider set-up works with both client
// authentication methods, so a failure above is the app's.
// ---------------------------------------------------------------------------------------------

fn pkce_pair(seed: &str) -> (String, String) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let verifier = hex(&Sha256::digest(format!(
        "{seed}-{nanos}-{}",
        std::process::id()
    )));
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn provider_fixture_serves_both_client_auth_methods() {
    let port = free_port(); // nothing listens there: the fixture's client never follows the callback
    let base = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    let provider = Provider::start(
        json!([
            client_json(&base, BASIC_CLIENT, "client_secret_basic"),
            client_json(&base, POST_CLIENT, "client_secret_post"),
        ]),
        &["--strict-client-auth"],
    );
    bounded(async {
        let discovery: Value = http_client()
            .no_proxy()
            .build()
            .unwrap()
            .get(provider.url("/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(discovery["issuer"], provider.issuer_str());
        assert_eq!(
            discovery["code_challenge_methods_supported"],
            json!(["S256"])
        );
        for ep in [
            "authorization_endpoint",
            "token_endpoint",
            "userinfo_endpoint",
            "jwks_uri",
            "end_session_endpoint",
            "revocation_endpoint",
        ] {
            let u =
                Url::parse(discovery[ep].as_str().unwrap_or_else(|| panic!("no {ep}"))).unwrap();
            assert_loopback(&u);
        }

        for (client, method, user) in [
            (BASIC_CLIENT, "basic", "erin"),
            (POST_CLIENT, "post", "frank"),
        ] {
            let b = Browser::new();
            let redirect_uri = format!("{}redirect", base);
            let (verifier, challenge) = pkce_pair(user);

            // PKCE is required.
            let mut no_pkce = provider.url("/auth");
            no_pkce.query_pairs_mut().extend_pairs([
                ("response_type", "code"),
                ("client_id", client.0),
                ("redirect_uri", &redirect_uri),
                ("scope", "openid email profile"),
                ("state", "s-0123456789abcdef"),
            ]);
            let page = b.get(&no_pkce).await;
            let err = page.location.as_ref().map(query).unwrap_or_default();
            assert_eq!(
                err.get("error").map(String::as_str),
                Some("invalid_request"),
                "PKCE not enforced: {}",
                page.describe()
            );

            let mut auth = provider.url("/auth");
            auth.query_pairs_mut().extend_pairs([
                ("response_type", "code"),
                ("client_id", client.0),
                ("redirect_uri", &redirect_uri),
                ("scope", "openid email profile"),
                ("state", "s-0123456789abcdef"),
                ("nonce", "n-0123456789abcdef"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ]);
            let callback = authorize_at_provider(&b, &base, &provider, &auth, user).await;
            let q = query(&callback);
            assert_eq!(
                q.get("state").map(String::as_str),
                Some("s-0123456789abcdef")
            );
            assert_eq!(
                q.get("iss").map(String::as_str),
                Some(provider.issuer_str().as_str())
            );
            let code = q.get("code").expect("code").clone();

            let token_url = provider.url("/token");
            let http = http_client().no_proxy().build().unwrap();
            let mut form = vec![
                ("grant_type", "authorization_code".to_string()),
                ("code", code),
                ("redirect_uri", redirect_uri.clone()),
                ("code_verifier", verifier),
            ];
            let mut req = http.post(token_url.clone());
            if method == "basic" {
                req = req.basic_auth(client.0, Some(client.1));
            } else {
                form.push(("client_id", client.0.into()));
                form.push(("client_secret", client.1.into()));
            }
            let resp = req.form(&form).send().await.unwrap();
            let status = resp.status();
            let tokens: Value = resp.json().await.unwrap();
            assert_eq!(status, StatusCode::OK, "token ({method}): {tokens}");
            assert!(
                tokens["id_token"].is_string() && tokens["access_token"].is_string(),
                "{tokens}"
            );

            // The other authentication method is refused for this client.
            let mut wrong = http.post(token_url.clone());
            let mut wrong_form = vec![
                ("grant_type", "authorization_code".to_string()),
                ("code", "x".into()),
            ];
            if method == "basic" {
                wrong_form.push(("client_id", client.0.into()));
                wrong_form.push(("client_secret", client.1.into()));
            } else {
                wrong = wrong.basic_auth(client.0, Some(client.1));
            }
            let resp = wrong.form(&wrong_form).send().await.unwrap();
            assert_eq!(
                resp.status(),
                StatusCode::UNAUTHORIZED,
                "wrong client auth method accepted ({method})"
            );

            // Userinfo has the verified email.
            let info: Value = http
                .get(provider.url("/me"))
                .bearer_auth(tokens["access_token"].as_str().unwrap())
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(info["sub"], user, "{info}");
            assert_eq!(info["email"], format!("{user}@example.com"), "{info}");
            assert_eq!(info["email_verified"], true, "{info}");

            // Replaying the code fails (and revokes the grant).
            let mut replay = http.post(token_url.clone());
            if method == "basic" {
                replay = replay.basic_auth(client.0, Some(client.1));
            }
            let resp = replay.form(&form).send().await.unwrap();
            assert_eq!(
                resp.status(),
                StatusCode::BAD_REQUEST,
                "code replay accepted ({method})"
            );

            // RP-initiated logout: confirmation page, then back to a registered URI.
            let mut end = provider.url("/session/end");
            end.query_pairs_mut().extend_pairs([
                ("id_token_hint", tokens["id_token"].as_str().unwrap()),
                ("post_logout_redirect_uri", base.as_str()),
            ]);
            let page = b.get(&end).await;
            assert_eq!(
                page.status,
                StatusCode::OK,
                "end_session: {}",
                page.describe()
            );
            let (action, mut fields) = parse_form(&page.body, &page.url, Some("op.logoutForm"));
            fields.push(("logout".into(), "yes".into()));
            let page = b.post_form(&action, &fields).await;
            assert!(page.is_redirect(), "logout confirm: {}", page.describe());
            assert_eq!(
                page.location().as_str(),
                base.as_str(),
                "post-logout redirect: {}",
                page.describe()
            );
        }
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Back-channel logout with two instances on one store
// ---------------------------------------------------------------------------------------------

/// `oidcc-client-test-backchannel-logout` against oidc-provider, with two instances of the
/// example on one shared store (the browser's cookie is for 127.0.0.1, so it reaches both, as
/// behind a load balancer): the user logs out at the provider (its own end-session page, not the
/// app's `/logout`); the provider posts the logout token to instance A, and the session ends on
/// both, B within the Redis cache's lease.
async fn backchannel_logout_on_two_instances(store: &str) {
    example_binary();
    let (port_a, port_b) = (free_port(), free_port());
    let base_a = Url::parse(&format!("http://127.0.0.1:{port_a}/")).unwrap();
    let base_b = Url::parse(&format!("http://127.0.0.1:{port_b}/")).unwrap();
    let mut client = client_json(&base_a, BASIC_CLIENT, "client_secret_basic");
    let b_client = client_json(&base_b, BASIC_CLIENT, "client_secret_basic");
    for list in ["redirect_uris", "post_logout_redirect_uris"] {
        let more = b_client[list].as_array().unwrap().clone();
        client[list].as_array_mut().unwrap().extend(more);
    }
    client["backchannel_logout_uri"] = json!(format!("{base_a}backchannel-logout"));
    client["backchannel_logout_session_required"] = json!(true);
    let provider = Provider::start(json!([client]), &[]);
    let env = [("SESSION_STORE", store)];
    let a = App::start(&provider, port_a, BASIC_CLIENT, &env);
    let b_app = App::start(&provider, port_b, BASIC_CLIENT, &env);
    bounded(async {
        let browser = Browser::new();
        login(&browser, &a, &provider, BASIC_CLIENT.0, "ivy").await;
        expect_logged_in(&browser, &b_app, "ivy").await;
        let other = Browser::new();
        login(&other, &b_app, &provider, BASIC_CLIENT.0, "zoe").await;

        let before = provider.proc.log_len();
        let mut page = browser.get(&provider.url("/session/end")).await;
        assert!(
            page.status == StatusCode::OK && page.body.contains("op.logoutForm"),
            "the provider's logout page: {}",
            page.describe()
        );
        let (action, mut fields) = parse_form(&page.body, &page.url, Some("op.logoutForm"));
        fields.push(("logout".into(), "yes".into()));
        page = browser.post_form(&action, &fields).await;
        assert!(!page.status.is_server_error(), "{}", page.describe());
        // The provider logs the delivery when the app has answered it, which may be just after
        // its own answer to the browser.
        let event = format!("event backchannel.success: {}", BASIC_CLIENT.0);
        let seen = provider.requests_when(before, |lines| lines.contains(&event));
        assert!(
            seen.contains(&event),
            "the provider did not deliver the logout token: {seen:#?}"
        );
        expect_anonymous(&browser, &a).await;
        // B's cache (Redis) hears of the deletion within its lease.
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let page = browser.get(&b_app.url("/")).await;
            if page.status == StatusCode::SEE_OTHER {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "instance B still serves the session: {}",
                page.describe()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        expect_logged_in(&other, &b_app, "zoe").await;
        expect_logged_in(&other, &a, "zoe").await;
    })
    .await;
}

#[tokio::test]
async fn backchannel_logout_ends_the_session_on_two_instances_on_redis() {
    backchannel_logout_on_two_instances("redis://127.0.0.1:6379").await;
}

#[tokio::test]
async fn backchannel_logout_ends_the_session_on_two_instances_on_postgres() {
    backchannel_logout_on_two_instances("postgres://postgres@127.0.0.1:5432/test").await;
}

// ---------------------------------------------------------------------------------------------
// One refresh per session across instances
// ---------------------------------------------------------------------------------------------

/// Two instances of the example on one shared store, against oidc-provider rotating refresh
/// tokens with reuse detection (a refresh token presented twice revokes the whole grant): eight
/// concurrent `POST /refresh` of one session, half on each instance, all succeed, no refresh
/// token is presented twice and no grant is revoked; a later refresh still works. (`invalid_grant`
/// ending the session on every instance is played against the development provider, in
/// `tests/stores.rs`.)
async fn cluster_refresh_on_two_instances(store: &str) {
    example_binary();
    let (port_a, port_b) = (free_port(), free_port());
    let base_a = Url::parse(&format!("http://127.0.0.1:{port_a}/")).unwrap();
    let base_b = Url::parse(&format!("http://127.0.0.1:{port_b}/")).unwrap();
    let mut client = client_json(&base_a, BASIC_CLIENT, "client_secret_basic");
    let b_client = client_json(&base_b, BASIC_CLIENT, "client_secret_basic");
    for list in ["redirect_uris", "post_logout_redirect_uris"] {
        let more = b_client[list].as_array().unwrap().clone();
        client[list].as_array_mut().unwrap().extend(more);
    }
    let provider = Provider::start(json!([client]), &["--rotate-refresh-tokens"]);
    let env = [("SESSION_STORE", store), ("OIDC_SCOPES", OFFLINE_SCOPES)];
    let a = App::start(&provider, port_a, BASIC_CLIENT, &env);
    let b_app = App::start(&provider, port_b, BASIC_CLIENT, &env);
    bounded(async {
        let browser = Browser::new();
        let before = provider.proc.log_len();
        login(&browser, &a, &provider, BASIC_CLIENT.0, "max").await;
        let issued = provider.events_since(before, "refresh_token.saved", 1);
        assert_eq!(issued.len(), 1, "one refresh token at login: {issued:#?}");

        let before = provider.proc.log_len();
        let calls: Vec<_> = (0..8)
            .map(|i| {
                let url = if i % 2 == 0 {
                    a.url("/refresh")
                } else {
                    b_app.url("/refresh")
                };
                let browser = browser.clone();
                tokio::spawn(async move { browser.post_form(&url, &[]).await })
            })
            .collect();
        for call in calls {
            let page = call.await.unwrap();
            expect_ok_page(&page, "Tokens refreshed", "concurrent POST /refresh", &[]);
        }
        let seen = provider.requests_since(before);
        let grants = provider.posts_since(before, "/token", 1);
        let presented: Vec<&str> = grants
            .iter()
            .filter(|r| r.param("grant_type") == Some("refresh_token"))
            .filter_map(|r| r.param("refresh_token"))
            .collect();
        let distinct: std::collections::HashSet<&&str> = presented.iter().collect();
        assert_eq!(
            distinct.len(),
            presented.len(),
            "a refresh token was presented twice: {seen:#?}"
        );
        assert!(
            grants.iter().all(|r| r.status == 200),
            "a refresh was refused: {seen:#?}"
        );
        assert!(
            !seen.iter().any(|l| l.starts_with("event grant.revoked")),
            "the provider revoked the grant (reuse detected): {seen:#?}"
        );
        eprintln!(
            "8 concurrent POST /refresh on two instances ({store}): {} refresh grants",
            presented.len()
        );
        let page = post_app(&browser, &b_app, "/refresh").await;
        expect_ok_page(&page, "Tokens refreshed", "POST /refresh after", &seen);
    })
    .await;
}

#[tokio::test]
async fn concurrent_refreshes_spend_each_refresh_token_once_on_two_instances_on_redis() {
    cluster_refresh_on_two_instances("redis://127.0.0.1:6379").await;
}

#[tokio::test]
async fn concurrent_refreshes_spend_each_refresh_token_once_on_two_instances_on_postgres() {
    cluster_refresh_on_two_instances("postgres://postgres@127.0.0.1:5432/test").await;
}

// ---------------------------------------------------------------------------------------------
// In process: the app's own calls with DPoP-bound tokens
// ---------------------------------------------------------------------------------------------

#[axum_oauth_login::oauth(provider = "oidc")]
struct Auth;

#[axum_oauth_login::get_auth]
fn get_auth() -> Option<axum::response::Redirect> {
    Some(axum::response::Redirect::to("/"))
}

/// The user info endpoint called from a handler with `Tokens::authorization` and
/// `Tokens::dpop_proof`: the statuses of a call with a fresh proof, of the same proof replayed,
/// and of a new proof.
async fn replay(tokens: axum_oauth_login::UserTokens, userinfo: Url) -> String {
    let tokens = tokens.get().await.unwrap();
    assert!(tokens.is_dpop(), "oidc-provider bound the tokens");
    let http = http_client().no_proxy().build().unwrap();
    let call = |proof: String| {
        http.get(userinfo.clone())
            .header("authorization", tokens.authorization())
            .header("dpop", proof)
            .send()
    };
    let proof = tokens.dpop_proof("GET", &userinfo, None).unwrap().unwrap();
    let first = call(proof.clone()).await.unwrap();
    let replayed = call(proof).await.unwrap();
    let challenge = replayed
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let fresh = tokens.dpop_proof("GET", &userinfo, None).unwrap().unwrap();
    let again = call(fresh).await.unwrap();
    format!(
        "{} {} {} {challenge}",
        first.status().as_u16(),
        replayed.status().as_u16(),
        again.status().as_u16()
    )
}

/// RFC 9449 §11.1: a proof is good for one request. The provider refuses a replayed one, and
/// `Tokens::dpop_proof` makes a new one for each call, which it accepts.
#[tokio::test]
async fn a_replayed_dpop_proof_is_refused_and_a_fresh_one_accepted() {
    let (provider, base) = in_process_app(
        |provider| {
            let userinfo = provider.url("/me");
            axum::Router::new().route(
                "/replay",
                axum::routing::get(move |tokens| replay(tokens, userinfo.clone())),
            )
        },
        |builder| builder,
    )
    .await;

    bounded(async {
        let b = Browser::new();
        in_process_login(&b, &base, &provider, "rita").await;
        let page = b.get(&base.join("/replay").unwrap()).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.describe());
        let (statuses, challenge) = page.body.split_at(11);
        assert_eq!(statuses, "200 401 200", "{}", page.body);
        // oidc-provider names no reason (`invalid_token`), but refuses only the replay.
        assert!(
            challenge.trim_start().starts_with("DPoP ") && challenge.contains("error="),
            "{challenge}"
        );
    })
    .await;
}

/// oidc-provider with the `client_secret_basic` client, and `Auth` installed in process on a
/// free port with `/`, `/login` and the routes `routes` makes, its builder passed through
/// `configure`. The provider and the app's base URL.
async fn in_process_app(
    routes: impl FnOnce(&Provider) -> axum::Router,
    configure: impl FnOnce(
        axum_oauth_login::OAuthBuilder<Auth, axum_oauth_login::store::MemoryStore>,
    )
        -> axum_oauth_login::OAuthBuilder<Auth, axum_oauth_login::store::MemoryStore>,
) -> (Provider, Url) {
    use axum_oauth_login::OAuth as _;
    let port = free_port();
    let base = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    let provider = Provider::start(
        json!([client_json(&base, BASIC_CLIENT, "client_secret_basic")]),
        &[],
    );
    let client = axum_oauth_login::OidcClient::discover(
        &provider.issuer_str(),
        BASIC_CLIENT.0,
        BASIC_CLIENT.1,
    )
    .await
    .unwrap();
    assert!(client.provider().dpop, "oidc-provider offers DPoP");
    let routes = routes(&provider)
        .route("/", axum::routing::get(|| async { "home" }))
        .route("/login", axum::routing::get(common::login_page));
    let app = configure(Auth.builder(client).public_url(base.clone())).install(routes);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (provider, base)
}

/// Logs `user` in to the in-process app at `base` through its `/login` page's link.
async fn in_process_login(b: &Browser, base: &Url, provider: &Provider, user: &str) {
    let login = b.get(&base.join("/login").unwrap()).await;
    let link = tags(&login.body, "a")
        .into_iter()
        .find_map(|a| a.get("href").cloned())
        .unwrap_or_else(|| panic!("no link: {}", login.body));
    let auth = Url::parse(&html_escape::decode_html_entities(&link)).unwrap();
    let callback = authorize_at_provider(b, base, provider, &auth, user).await;
    let back = b.get(&callback).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.describe());
}

/// Step-up by age against a real provider: a route that needs a login at most 2 seconds old,
/// visited later, sends the user to oidc-provider with `max_age=2` and `prompt=login` (pushed);
/// the provider asks for the login again, its new `auth_time` satisfies the route, and the user
/// lands on the page.
#[tokio::test]
async fn step_up_by_max_age_logs_in_again_at_the_provider() {
    let (provider, base) = in_process_app(
        |_| axum::Router::new().route("/recent", axum::routing::get(|| async { "recent" })),
        |builder| {
            builder.step_up(
                "/recent",
                axum_oauth_login::StepUp::default().max_age(Duration::from_secs(2)),
            )
        },
    )
    .await;

    bounded(async {
        let b = Browser::new();
        in_process_login(&b, &base, &provider, "sam").await;
        let recent = base.join("/recent").unwrap();
        assert_eq!(b.get(&recent).await.status, StatusCode::OK, "a fresh login");
        tokio::time::sleep(Duration::from_millis(3100)).await;

        let page = b.get(&recent).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.describe());
        let auth = page.location().clone();
        assert!(query(&auth).contains_key("request_uri"), "{auth}");
        // The step-up login's own push.
        let params = provider.pushed_request(&query(&auth)["request_uri"]).params;
        assert_eq!(
            params.get("prompt").map(String::as_str),
            Some("login"),
            "{params:?}"
        );
        assert!(params.contains_key("max_age"), "{params:?}");
        let before = provider.proc.log_len();
        let callback = authorize_at_provider(&b, &base, &provider, &auth, "sam").await;
        assert!(
            provider
                .requests_since(before)
                .iter()
                .any(|l| l.starts_with("POST /interaction/")),
            "the provider asked for the login again: {:#?}",
            provider.requests_since(before)
        );
        let back = b.get(&callback).await;
        assert_eq!(
            back.location().path(),
            "/recent",
            "back to the page: {}",
            back.describe()
        );
        let page = b.get(&recent).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.describe());
        assert_eq!(page.body, "recent");
    })
    .await;
}
