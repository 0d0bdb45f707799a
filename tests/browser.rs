//! The counter example, and a `form_post` login across two sites, in a real browser: headless
//! Chromium driven over WebDriver by chromedriver.
//!
//! Everything the HTTP-level tests cannot see runs here for real: the redirects a browser follows,
//! its cookie handling (`SameSite=Lax` across the provider's redirect), htmx swapping the count in
//! and a reload keeping it. Needs `chromedriver` and `chromium` (Debian: `chromium-driver`,
//! `chromium`; `scripts/test.sh` installs them). Without them the test fails: it never skips.
//!
//! `CHROMEDRIVER` and `CHROME_BIN` override the binaries' paths.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use std::sync::{Arc, Mutex};

use axum::response::Redirect;
use axum::routing::get;
use axum_oauth_login::dev::DevProvider;
use axum_oauth_login::prelude::*;
use common::{free_port, start_example};
use fantoccini::{Client, ClientBuilder, Locator};

/// How long any one expected state may take to show up.
const PATIENCE: Duration = Duration::from_secs(30);
/// How often it is checked.
const POLL: Duration = Duration::from_millis(100);

/// A chromedriver on a free loopback port, killed (with every browser it started) on drop.
struct Chromedriver {
    url: String,
    child: Child,
}

impl Chromedriver {
    async fn start() -> Self {
        let exe = std::env::var_os("CHROMEDRIVER")
            .map(PathBuf::from)
            .or_else(|| find_in_path("chromedriver"))
            .unwrap_or_else(|| {
                panic!(
                    "chromedriver not found: run `bash scripts/test.sh` (it installs it), or \
                     `apt-get install chromium chromium-driver`, or set CHROMEDRIVER"
                )
            });
        let port = free_port();
        let mut command = Command::new(&exe);
        command
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        // Its own process group, so that drop can end the browsers it spawned along with it.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
        let driver = Self {
            url: format!("http://127.0.0.1:{port}"),
            child,
        };
        let status = format!("{}/status", driver.url);
        let http = common::http_client().no_proxy().build().unwrap();
        eventually("chromedriver to be ready", || async {
            let res = http.get(&status).send().await.ok()?;
            let body: serde_json::Value = res.json().await.ok()?;
            body["value"]["ready"].as_bool()?.then_some(())
        })
        .await;
        driver
    }

    /// A fresh browser: its own session and its own profile (no cookies shared with others).
    async fn browser(&self) -> Browser {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let profile =
            std::env::temp_dir().join(format!("oauth-browser-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&profile).unwrap();
        let args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--no-first-run".to_owned(),
            "--no-default-browser-check".to_owned(),
            // Loopback only: a proxy from the environment must not see (or break) the test.
            "--no-proxy-server".to_owned(),
            "--window-size=1024,768".to_owned(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let mut options = serde_json::json!({ "args": args });
        if let Some(binary) = chrome_binary() {
            options["binary"] = binary.display().to_string().into();
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a WebDriver session (is chromium installed?)");
        Browser {
            client: Some(client),
            profile,
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // The whole group: chromedriver and any browser a failed test left open.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// `CHROME_BIN`, else Debian's `/usr/bin/chromium` when present, else chromedriver's own search.
fn chrome_binary() -> Option<PathBuf> {
    std::env::var_os("CHROME_BIN")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/usr/bin/chromium")).filter(|p| p.is_file()))
}

/// One browser window with its own profile directory (removed on drop).
struct Browser {
    client: Option<Client>,
    profile: PathBuf,
}

impl Browser {
    fn client(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    async fn close(mut self) {
        if let Some(client) = self.client.take() {
            client.close().await.unwrap();
        }
    }

    async fn goto(&self, url: &str) {
        self.client().goto(url).await.unwrap();
    }

    /// Waits until the page's path is `path`.
    async fn wait_path(&self, path: &str) {
        eventually(&format!("the browser to be at {path}"), || async {
            let url = self.client().current_url().await.ok()?;
            (url.path() == path).then_some(())
        })
        .await;
    }

    /// Waits for an element to be there and clicks it.
    async fn click(&self, locator: Locator<'_>) {
        let element = self
            .client()
            .wait()
            .at_most(PATIENCE)
            .every(POLL)
            .for_element(locator)
            .await
            .unwrap_or_else(|e| panic!("no {locator:?} on the page: {e}"));
        element.click().await.unwrap();
    }

    /// Waits until the text of the element `css` is `expected`.
    async fn wait_text(&self, css: &str, expected: &str) {
        eventually(&format!("`{css}` to read {expected:?}"), || async {
            let text = self
                .client()
                .find(Locator::Css(css))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            (text.trim() == expected).then_some(())
        })
        .await;
    }

    /// From the app's login page through the development provider's form, as `name`, back to the
    /// counter page.
    async fn log_in(&self, name: &str) {
        self.click(Locator::LinkText("Login with GitHub")).await;
        self.dev_provider_login(name).await;
        self.wait_path("/").await;
    }

    /// Waits for the development provider's login form, logs in there as `name`; the form's URL.
    async fn dev_provider_login(&self, name: &str) -> url::Url {
        let field = self
            .client()
            .wait()
            .at_most(PATIENCE)
            .every(POLL)
            .for_element(Locator::Id("login"))
            .await
            .unwrap();
        // The development provider's own page, not the app's.
        let url = self.client().current_url().await.unwrap();
        assert_eq!(url.path(), "/_dev/oauth/authorize", "{url}");
        field.send_keys(name).await.unwrap();
        self.click(Locator::Css(r#"button[name="action"][value="login"]"#))
            .await;
        url
    }

    async fn increment(&self, to: u32) {
        self.click(Locator::Css(r#"button[hx-post="/increment"]"#))
            .await;
        self.wait_text("#count", &to.to_string()).await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A session still open here belongs to a failed test: chromedriver's drop ends it.
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Polls `check` until it gives `Some`, for at most [`PATIENCE`]. No fixed sleeps anywhere else.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "timed out after {PATIENCE:?} waiting for {what}"
        );
        tokio::time::sleep(POLL).await;
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("{tag}-{}", std::process::id()))
}

fn remove(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counter_in_a_real_browser() {
    let data = temp_dir("counter-browser-test");
    let env = [
        ("COUNTS_DB", data.join("counts.db").display().to_string()),
        (
            "SESSION_STORE",
            format!("sqlite://{}", data.join("sessions.db").display()),
        ),
    ];
    let app = start_example("counter", &env);
    let base = app.base.clone();
    let driver = Chromedriver::start().await;

    // Ada: sent to the login page, logs in, counts to 2, reloads, logs out.
    let ada = driver.browser().await;
    ada.goto(&format!("{base}/")).await;
    ada.wait_path("/login").await;
    ada.log_in("ada").await;
    ada.wait_text("#count", "0").await;
    ada.increment(1).await;
    ada.increment(2).await;
    ada.client().refresh().await.unwrap();
    ada.wait_text("#count", "2").await;
    ada.click(Locator::LinkText("Logout")).await;
    ada.wait_path("/login").await;
    // Logged out for real: the counter page sends her back to the login page.
    ada.goto(&format!("{base}/")).await;
    ada.wait_path("/login").await;

    // Bob, in a browser of his own: his own count.
    let bob = driver.browser().await;
    bob.goto(&format!("{base}/")).await;
    bob.wait_path("/login").await;
    bob.log_in("bob").await;
    bob.wait_text("#count", "0").await;
    bob.increment(1).await;
    bob.close().await;

    // Ada again: still 2.
    ada.log_in("ada").await;
    ada.wait_text("#count", "2").await;
    ada.close().await;

    drop(driver);
    drop(app);
    remove(&data);
}

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    (!info.ident.is_empty()).then(|| Redirect::to("/"))
}

/// Sign in with Apple's `response_mode=form_post`, for real: the provider (the development
/// provider, reached as `127.0.0.1`) has the browser post its answer to the app (reached as
/// `localhost`, another site), so that POST carries no `SameSite=Lax` cookie. The app's page posts
/// the answer again from its own site, with the cookie, and the login completes. The callback is
/// never asked with the answer in its URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_post_login_across_sites_in_a_real_browser() {
    // Every request to the callback: its method, whether it has a query, whether it has a cookie.
    let seen = Arc::new(Mutex::new(Vec::<(String, bool, bool)>::new()));
    let log = seen.clone();
    let server = common::serve(|base| async move {
        let dev = DevProvider::new(&base).expect("a dev provider");
        let client = dev.client().with_provider(|p| {
            p.extra_auth_params
                .push(("response_mode".into(), "form_post".into()));
        });
        let site = base.replace("127.0.0.1", "localhost");
        Auth.builder(client)
            .public_url(site.parse().unwrap())
            .install(common::hello_routes().route("/login", get(common::login_page)))
            .layer(axum::middleware::from_fn(
                move |request: axum::extract::Request, next: axum::middleware::Next| {
                    if request.uri().path() == "/redirect" {
                        log.lock().unwrap().push((
                            request.method().to_string(),
                            request.uri().query().is_some(),
                            request.headers().contains_key(http::header::COOKIE),
                        ));
                    }
                    next.run(request)
                },
            ))
    })
    .await;
    let site = server.base.replace("127.0.0.1", "localhost");
    let driver = Chromedriver::start().await;

    let ada = driver.browser().await;
    ada.goto(&format!("{site}/")).await;
    ada.wait_path("/login").await;
    ada.click(Locator::LinkText("Log in")).await;
    let form = ada.dev_provider_login("ada").await;
    assert_eq!(
        form.host_str(),
        Some("127.0.0.1"),
        "the provider's site: {form}"
    );
    ada.wait_path("/").await;
    let url = ada.client().current_url().await.unwrap();
    assert_eq!(url.host_str(), Some("localhost"), "{url}");
    let text = ada.client().source().await.unwrap();
    assert!(text.contains("hello dev:"), "{text}");
    assert_eq!(
        *seen.lock().unwrap(),
        [
            ("POST".to_owned(), false, false),
            ("POST".to_owned(), false, true)
        ],
        "the provider's cross-site POST without the cookie, then the relay's with it"
    );
    ada.close().await;
}
