//! Test helpers: a real server on 127.0.0.1, a cookie-keeping client that does not follow
//! redirects (so each hop is asserted), and a driver for the development provider's login page.
#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;

use axum::extract::Request;
use axum::response::Response;
use axum::serve::IncomingStream;
use axum_oauth_login::GuardedApp;
use reqwest::{StatusCode, header};
use tokio::net::TcpListener;
use tower::Service;

/// The tests' login page: one link, to the provider's authorization URL.
pub async fn login_page(
    login: axum_oauth_login::Login,
) -> Result<axum::response::Html<String>, axum_oauth_login::Error> {
    Ok(axum::response::Html(format!(
        r#"<a href="{}">Log in</a>"#,
        html_escape::encode_double_quoted_attribute(&login.link().await?)
    )))
}

/// The tests' usual pages: `/` greets the logged-in ident (`hello dev:...`), `/public` is for
/// `skip` or `public` patterns. Each test adds its own (`/login`, `/error`, ...).
pub fn hello_routes() -> axum::Router {
    use axum::routing::get;
    use axum_oauth_login::Ident;
    axum::Router::new()
        .route(
            "/",
            get(|Ident(a): Ident| async move { format!("hello {a}") }),
        )
        .route("/public", get(|| async { "public" }))
}

/// What the session holds under `who`: the tests' `get_auth` hooks write the user's details there.
pub async fn who(session: axum_oauth_login::Session) -> String {
    session
        .get::<String>("who")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// The scopes the provider granted to the logged-in user, space-separated.
pub async fn granted_scopes(tokens: axum_oauth_login::UserTokens) -> String {
    tokens.get().await.unwrap().scopes().join(" ")
}

/// A running app: `base` is its origin, e.g. `http://127.0.0.1:41234`.
pub struct Server {
    pub base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds a port first, so that `make` can build clients that know the app's origin. The app is
/// what `install` returns, or a plain `Router` (whatever `axum::serve` takes).
pub async fn serve<F, Fut, M, S>(make: F) -> Server
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = M>,
    M: for<'a> Service<IncomingStream<'a, TcpListener>, Error = Infallible, Response = S>
        + Send
        + 'static,
    for<'a> <M as Service<IncomingStream<'a, TcpListener>>>::Future: Send,
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = make(base.clone()).await;
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Server { base, task }
}

/// [`serve`] with a development provider at the app's own origin, handed to `make` and returned,
/// so that tests can inject faults into it.
pub async fn serve_dev<F>(make: F) -> (Server, axum_oauth_login::dev::DevProvider)
where
    F: FnOnce(&axum_oauth_login::dev::DevProvider, &str) -> GuardedApp,
{
    let slot = std::sync::Arc::new(std::sync::OnceLock::new());
    let s = slot.clone();
    let server = serve(|base| async move {
        let dev = axum_oauth_login::dev::DevProvider::new(&base).unwrap();
        let app = make(&dev, &base);
        s.set(dev).unwrap();
        app
    })
    .await;
    let dev = slot.get().unwrap().clone();
    (server, dev)
}

/// A `reqwest::ClientBuilder` whose TLS configuration names aws-lc-rs. The library builds its own
/// clients that way and nothing installs a process-level provider, so `reqwest::Client::builder()`
/// alone would panic ("No provider set"). The tests only speak plain HTTP to loopback: no roots.
pub fn http_client() -> reqwest::ClientBuilder {
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    reqwest::Client::builder().use_preconfigured_tls(tls)
}

/// `reqwest::get` on a [`http_client`].
pub async fn get(url: impl reqwest::IntoUrl) -> reqwest::Result<reqwest::Response> {
    http_client().build()?.get(url).send().await
}

/// What a browser's page navigation asks for (Firefox's and Chrome's `Accept`, abridged).
pub const NAVIGATION_ACCEPT: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

/// A browser without JavaScript: keeps cookies, never follows redirects by itself, and asks for
/// HTML as a browser's page navigation does (without Fetch Metadata, as older browsers do).
#[derive(Clone)]
pub struct Browser {
    pub http: reqwest::Client,
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Browser {
    pub fn new() -> Self {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let http = http_client()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(header::HeaderMap::from_iter([(
                header::ACCEPT,
                header::HeaderValue::from_static(NAVIGATION_ACCEPT),
            )]))
            .no_proxy()
            .build()
            .unwrap();
        Self { http, jar }
    }

    /// The `Cookie` header this browser sends to `url`.
    pub fn cookie_header(&self, url: &str) -> Option<String> {
        use reqwest::cookie::CookieStore as _;
        self.jar
            .cookies(&url.parse().unwrap())
            .map(|v| v.to_str().unwrap().to_owned())
    }

    pub async fn get(&self, url: &str) -> Page {
        Page::from(self.http.get(url).send().await.unwrap()).await
    }

    pub async fn get_with(&self, url: &str, headers: &[(&str, &str)]) -> Page {
        let mut req = self.http.get(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        Page::from(req.send().await.unwrap()).await
    }

    pub async fn post_form(&self, url: &str, form: &[(String, String)]) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let res = self
            .http
            .post(url)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        Page::from(res).await
    }

    pub async fn post(&self, url: &str) -> Page {
        Page::from(self.http.post(url).send().await.unwrap()).await
    }

    /// From the app's `/login` page to the callback URL the development provider redirects to
    /// (not yet followed): returns that URL.
    pub async fn dev_authorize(&self, base: &str, login_path: &str, name: &str) -> String {
        let login = self.get(&format!("{base}{login_path}")).await;
        assert_eq!(login.status, StatusCode::OK, "login page: {}", login.body);
        let link = first_href(&login.body).expect("login page has a link");
        self.dev_authorize_link(&link, name).await
    }

    /// From a login link (the provider's authorization URL) to the callback URL the development
    /// provider redirects to (not yet followed), logging in as `name`.
    pub async fn dev_authorize_link(&self, link: &str, name: &str) -> String {
        let page = self.get(link).await;
        assert_eq!(
            page.status,
            StatusCode::OK,
            "dev authorize page: {}",
            page.body
        );
        let (action, mut fields) = parse_form(&page.body, link);
        fields.retain(|(k, _)| k != "login" && k != "action");
        fields.push(("login".into(), name.into()));
        fields.push(("action".into(), "allow".into()));
        let back = self.post_form(&action, &fields).await;
        assert_eq!(
            back.status,
            StatusCode::SEE_OTHER,
            "dev login: {}",
            back.body
        );
        back.location.expect("redirect to the callback")
    }

    /// From the app's login page at `login_path` to the callback URL the development provider
    /// redirects to after "Cancel" (not yet followed).
    pub async fn dev_cancel(&self, base: &str, login_path: &str) -> String {
        let login = self.get(&format!("{base}{login_path}")).await;
        assert_eq!(login.status, StatusCode::OK, "login page: {}", login.body);
        let link = first_href(&login.body).expect("login page has a link");
        let page = self.get(&link).await;
        assert_eq!(
            page.status,
            StatusCode::OK,
            "dev authorize page: {}",
            page.body
        );
        let (action, mut fields) = parse_form(&page.body, &link);
        fields.retain(|(k, _)| k != "login" && k != "action");
        fields.push(("action".into(), "cancel".into()));
        let back = self.post_form(&action, &fields).await;
        assert_eq!(
            back.status,
            StatusCode::SEE_OTHER,
            "dev cancel: {}",
            back.body
        );
        back.location.expect("redirect to the callback")
    }

    /// Cancels a login at the development provider and follows the app's redirects (five at
    /// most) to the page it ends on; that page's URL and the page.
    pub async fn cancel_login(&self, base: &str, login_path: &str) -> (String, Page) {
        let mut url = self.dev_cancel(base, login_path).await;
        for _ in 0..5 {
            let page = self.get(&url).await;
            match &page.location {
                Some(next) if page.status.is_redirection() => {
                    url = url::Url::parse(&url)
                        .unwrap()
                        .join(next)
                        .unwrap()
                        .to_string();
                }
                _ => return (url, page),
            }
        }
        panic!("more than five redirects after a cancelled login, last {url}");
    }

    /// A whole login through the development provider; returns the app's final response to the
    /// callback.
    pub async fn dev_login(&self, base: &str, name: &str) -> Page {
        let callback = self.dev_authorize(base, "/login", name).await;
        self.get(&callback).await
    }
}

impl Page {
    async fn from(res: reqwest::Response) -> Self {
        let status = res.status();
        let headers = res.headers().clone();
        let location = headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = res.text().await.unwrap();
        Self {
            status,
            location,
            headers,
            body,
        }
    }
}

/// The first `href="..."` of a page, HTML-unescaped.
pub fn first_href(html: &str) -> Option<String> {
    let re = regex::Regex::new(r#"href="([^"]+)""#).unwrap();
    re.captures(html)
        .map(|c| html_escape::decode_html_entities(&c[1]).into_owned())
}

/// The action (absolute) and the named inputs of the first form of a page.
pub fn parse_form(html: &str, page_url: &str) -> (String, Vec<(String, String)>) {
    let form = regex::Regex::new(r#"(?s)<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>"#).unwrap();
    let caps = form.captures(html).expect("a form");
    let action = html_escape::decode_html_entities(&caps[1]).into_owned();
    let action = url::Url::parse(page_url)
        .unwrap()
        .join(&action)
        .unwrap()
        .to_string();
    let input = regex::Regex::new(r#"<input([^>]*)>"#).unwrap();
    let attr = |tag: &str, name: &str| {
        let re = regex::Regex::new(&format!(r#"\b{name}="([^"]*)""#)).unwrap();
        re.captures(tag)
            .map(|c| html_escape::decode_html_entities(&c[1]).into_owned())
    };
    let mut fields = Vec::new();
    for tag in input.captures_iter(&caps[2]) {
        if let Some(name) = attr(&tag[1], "name") {
            fields.push((name, attr(&tag[1], "value").unwrap_or_default()));
        }
    }
    (action, fields)
}

/// The query of a URL as a map.
pub fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// An example binary running as a child process; killed on drop.
pub struct Example {
    pub base: String,
    child: std::process::Child,
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The path of an example, built first: `cargo test --test X` does not rebuild examples, and a
/// stale binary would test old code. A no-op when it is fresh.
pub fn example_path(name: &str) -> std::path::PathBuf {
    static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let path = profile_dir.join("examples").join(name);
    let mut built = BUILT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !built.iter().any(|b| b == name) {
        let mut cmd = cargo();
        let status = cmd
            .args(["build", "--workspace", "--all-features", "--example", name])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success(), "building example {name}");
        built.push(name.to_owned());
    }
    path
}

/// `cargo` with a shell's environment, not the test's: the variables cargo sets for tests would
/// change build-script fingerprints and rebuild half the dependency tree twice.
pub fn cargo() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO"));
    cmd.env_clear();
    for (key, value) in std::env::vars_os() {
        let keep = [
            "PATH",
            "HOME",
            "CARGO_HOME",
            "RUSTUP_HOME",
            "RUSTUP_TOOLCHAIN",
            "CARGO_TARGET_DIR",
        ]
        .contains(&key.to_string_lossy().as_ref());
        if keep {
            cmd.env(key, value);
        }
    }
    cmd
}

/// A free port on 127.0.0.1 (bound and released).
///
/// Taken below the kernel's ephemeral range (32768 and up on Linux): a port the OS handed out
/// for `:0` could be handed out again, before the test binds it, as the local port of some
/// outgoing connection or of another test's `--port 0` server (which made tests fail with
/// `AddrInUse`). Each test process starts at its own offset (tests run as parallel processes).
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const FIRST: u32 = 10_000;
    const SPAN: u32 = 22_000;
    let start = (std::process::id() % 1_000) * 20;
    for _ in 0..SPAN {
        let port = FIRST + (start + NEXT.fetch_add(1, Ordering::Relaxed)) % SPAN;
        let port = u16::try_from(port).unwrap();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port between {FIRST} and {}", FIRST + SPAN);
}

/// Starts `examples/<name>` with `env` on a free port and waits (60 s at most) for its
/// "listening on" line.
pub fn start_example(name: &str, env: &[(&str, String)]) -> Example {
    use std::io::BufRead as _;
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let mut cmd = std::process::Command::new(example_path(name));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("BIND", &bind)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("listening on") {
                let _ = tx.send(());
            }
        }
    });
    let example = Example {
        base: format!("http://{bind}"),
        child,
    };
    rx.recv_timeout(std::time::Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("example {name} did not start"));
    example
}

// --- Redis without redis-cli: one command over RESP ------------------------------------------

/// Sends one command to database `db` of the Redis at `addr`; its reply: one line, or the text of
/// a bulk string.
pub async fn redis_command_at(addr: &str, db: u8, args: &[&str]) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("Redis at {addr} is not reachable: {e}"));
    let db = db.to_string();
    let mut reply = String::new();
    for command in [&["SELECT", db.as_str()][..], args] {
        let mut text = format!("*{}\r\n", command.len());
        for arg in command {
            text.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        tokio::io::AsyncWriteExt::write_all(&mut stream, text.as_bytes())
            .await
            .unwrap();
        reply = read_line(&mut stream).await;
        assert!(!reply.starts_with('-'), "{command:?}: {reply}");
        if let Some(len) = reply
            .strip_prefix('$')
            .and_then(|n| n.trim_end().parse().ok())
        {
            let mut bulk = vec![0u8; len + 2];
            tokio::io::AsyncReadExt::read_exact(&mut stream, &mut bulk)
                .await
                .unwrap();
            bulk.truncate(len);
            reply = String::from_utf8(bulk).unwrap();
        }
    }
    reply
}

async fn read_line(stream: &mut tokio::net::TcpStream) -> String {
    let mut line = Vec::new();
    while !line.ends_with(b"\r\n") {
        let mut byte = [0u8; 1];
        assert_eq!(
            tokio::io::AsyncReadExt::read(stream, &mut byte)
                .await
                .unwrap(),
            1,
            "Redis closed the connection"
        );
        line.push(byte[0]);
    }
    String::from_utf8(line).unwrap()
}
