//! The examples, run as a user would, against the development provider.

mod common;

use common::{Browser, start_example};
use reqwest::StatusCode;

fn count(body: &str) -> i64 {
    let re = regex::Regex::new(r#"<span id="count">(-?\d+)</span>"#).unwrap();
    re.captures(body).expect("a count on the page")[1]
        .parse()
        .unwrap()
}

#[tokio::test]
async fn counter_counts_per_user() {
    let dir = std::env::temp_dir().join(format!("counter-test-{}", std::process::id()));
    let env = [
        ("COUNTS_DB", dir.join("counts.db").display().to_string()),
        (
            "SESSION_STORE",
            format!("sqlite://{}", dir.join("sessions.db").display()),
        ),
    ];
    let app = start_example("counter", &env);
    let base = &app.base;

    let ada = Browser::new();
    assert_eq!(
        ada.get(&format!("{base}/")).await.location.as_deref(),
        Some("/login")
    );
    let done = ada.dev_login(base, "ada").await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    let home = ada.get(&format!("{base}/")).await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(count(&home.body), 0);
    assert!(home.body.contains(r#"hx-post="/increment""#));
    for expected in 1..=2 {
        let inc = ada.post(&format!("{base}/increment")).await;
        assert_eq!(inc.body, expected.to_string());
    }
    assert_eq!(count(&ada.get(&format!("{base}/")).await.body), 2);

    // htmx is served locally and public.
    let js = Browser::new()
        .get(&format!("{base}/static/htmx.min.js"))
        .await;
    assert_eq!(js.status, StatusCode::OK);

    let bob = Browser::new();
    bob.dev_login(base, "bob").await;
    assert_eq!(count(&bob.get(&format!("{base}/")).await.body), 0);
    assert_eq!(bob.post(&format!("{base}/increment")).await.body, "1");
    assert_eq!(count(&ada.get(&format!("{base}/")).await.body), 2);

    // Anonymous increments are refused.
    let anon = Browser::new().post(&format!("{base}/increment")).await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);

    // Sessions live in SQLite: after a restart Ada is still logged in, with her count.
    drop(app);
    let app = start_example("counter", &env);
    let base = &app.base;
    assert_eq!(count(&ada.get(&format!("{base}/")).await.body), 2);

    let out = ada
        .get_with(
            &format!("{base}/logout"),
            &[("sec-fetch-site", "same-origin")],
        )
        .await;
    assert_eq!(out.location.as_deref(), Some("/login"));
    assert_eq!(
        ada.get(&format!("{base}/")).await.status,
        StatusCode::SEE_OTHER
    );
    drop(app);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn minimal_lets_in_verified_emails_of_the_allowed_domain() {
    let app = start_example("minimal", &[("ALLOWED_DOMAIN", "example.org".into())]);
    let base = &app.base;
    // The development provider gives `<name>@example.com` unless the login is an email.
    let outsider = Browser::new();
    assert_eq!(
        outsider.dev_login(base, "ada").await.location.as_deref(),
        Some("/login")
    );
    assert_eq!(
        outsider.get(&format!("{base}/")).await.status,
        StatusCode::SEE_OTHER
    );

    let insider = Browser::new();
    assert_eq!(
        insider
            .dev_login(base, "ada@example.org")
            .await
            .location
            .as_deref(),
        Some("/")
    );
    let home = insider.get(&format!("{base}/")).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Logged in!"));
}

/// The text of the element with `id` (the examples' pages put one value in each), HTML-unescaped.
fn by_id(body: &str, tag: &str, id: &str) -> Option<String> {
    let re = regex::Regex::new(&format!(r#"(?s)<{tag} id="{id}"[^>]*>(.*?)</{tag}>"#)).unwrap();
    re.captures(body)
        .map(|c| html_escape::decode_html_entities(&c[1]).into_owned())
}

#[tokio::test]
async fn state_carries_the_edit_through_the_login() {
    let app = start_example("state", &[]);
    let base = &app.base;
    // Markup and non-ASCII survive, escaped on every page.
    let draft = "add a <b>unicorn</b> & a rainbow ✨";

    let user = Browser::new();
    // Anonymous visitors edit on the public home page.
    let editor = user.get(&format!("{base}/")).await;
    assert_eq!(editor.status, StatusCode::OK);
    assert!(editor.body.contains(r#"action="/""#), "{}", editor.body);

    let login_path = format!(
        "/?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("draft", draft)
            .finish()
    );
    let login = user.get(&format!("{base}{login_path}")).await;
    assert_eq!(by_id(&login.body, "q", "pending").as_deref(), Some(draft));
    assert!(
        !login.body.contains("<b>unicorn"),
        "escaped: {}",
        login.body
    );

    let callback = user.dev_authorize(base, &login_path, "ada").await;
    // The provider sees a random state, never the edit.
    let state = common::query(&callback)["state"].clone();
    assert!(!state.contains("unicorn"), "{state}");
    assert!(!callback.contains("unicorn"), "{callback}");

    let done = user.get(&callback).await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    let home = user.get(&format!("{base}/")).await;
    assert_eq!(home.status, StatusCode::OK);
    let ident = by_id(&home.body, "b", "ident").expect("the user's ident");
    assert!(ident.starts_with("dev:dev-"), "{ident}");
    assert!(home.body.contains(r#"id="restored""#), "{}", home.body);
    assert_eq!(
        by_id(&home.body, "textarea", "draft").as_deref(),
        Some(draft)
    );
    assert!(!home.body.contains("<b>unicorn"), "escaped: {}", home.body);

    // Running it uses the edit up and forgets the draft.
    let run = user
        .post_form(
            &format!("{base}/run"),
            &[("draft".to_owned(), draft.to_owned())],
        )
        .await;
    assert_eq!(run.status, StatusCode::OK);
    assert_eq!(by_id(&run.body, "q", "running").as_deref(), Some(draft));
    let home = user.get(&format!("{base}/")).await;
    assert!(!home.body.contains(r#"id="restored""#), "{}", home.body);
    assert_eq!(by_id(&home.body, "textarea", "draft").as_deref(), Some(""));

    // A login without an edit restores nothing; running stays for logged-in users only.
    let plain = Browser::new();
    assert_eq!(
        plain.dev_login(base, "bob").await.location.as_deref(),
        Some("/")
    );
    let home = plain.get(&format!("{base}/")).await;
    assert!(!home.body.contains(r#"id="restored""#), "{}", home.body);
    let anon = Browser::new()
        .post_form(&format!("{base}/run"), &[("draft".into(), "x".into())])
        .await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
}

/// The development provider's verdict on an access token: `/userinfo`'s status.
async fn userinfo_status(base: &str, access_token: &str) -> StatusCode {
    common::http_client()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{base}/_dev/oauth/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .status()
}

/// Asks the development provider for fresh tokens with `refresh_token`: the response's status.
async fn refresh_status(base: &str, refresh_token: &str) -> StatusCode {
    common::http_client()
        .no_proxy()
        .build()
        .unwrap()
        .post(format!("{base}/_dev/oauth/token"))
        .basic_auth(
            axum_oauth_login::dev::CLIENT_ID,
            Some(axum_oauth_login::dev::CLIENT_SECRET),
        )
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

/// Logs `name` in to the revoke example; returns the access and refresh tokens its home page
/// shows (it does on the development provider only), after checking that both work.
async fn revoke_login(user: &Browser, base: &str, name: &str) -> (String, String) {
    let done = user.dev_login(base, name).await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    let home = user.get(&format!("{base}/")).await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    let access = by_id(&home.body, "code", "access-token").expect("the access token is shown");
    let refresh = by_id(&home.body, "code", "refresh-token").expect("the refresh token is shown");
    assert_eq!(userinfo_status(base, &access).await, StatusCode::OK);
    (access, refresh)
}

#[tokio::test]
async fn revoke_revokes_the_token_at_logout() {
    let app = start_example("revoke", &[]);
    let base = &app.base;
    let user = Browser::new();
    let (access, refresh) = revoke_login(&user, base, "ada").await;

    let out = user.post(&format!("{base}/logout")).await;
    assert_eq!(out.location.as_deref(), Some("/login"), "{}", out.body);
    assert_eq!(
        user.get(&format!("{base}/")).await.status,
        StatusCode::SEE_OTHER
    );
    // Revoked at the provider: neither token works any more.
    assert_eq!(
        userinfo_status(base, &access).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh_status(base, &refresh).await,
        StatusCode::BAD_REQUEST
    );

    // Someone else's tokens are untouched by that logout.
    let other = Browser::new();
    let (other_access, _) = revoke_login(&other, base, "bob").await;
    assert_eq!(userinfo_status(base, &other_access).await, StatusCode::OK);
}

#[tokio::test]
async fn revoke_button_revokes_the_token_and_keeps_the_login() {
    let app = start_example("revoke", &[]);
    let base = &app.base;
    let user = Browser::new();
    let (access, refresh) = revoke_login(&user, base, "ada").await;

    let revoked = user.post(&format!("{base}/revoke")).await;
    assert_eq!(revoked.location.as_deref(), Some("/"), "{}", revoked.body);
    assert_eq!(
        userinfo_status(base, &access).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh_status(base, &refresh).await,
        StatusCode::BAD_REQUEST
    );
    // Still logged in here, without tokens.
    let home = user.get(&format!("{base}/")).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.body.contains("No token: it was revoked"),
        "{}",
        home.body
    );
    assert!(!home.body.contains("access-token"), "{}", home.body);
    // A second press has nothing left to revoke.
    let again = user.post(&format!("{base}/revoke")).await;
    assert_eq!(again.location.as_deref(), Some("/"), "{}", again.body);
    // And the logout, with no token to revoke, still works.
    let out = user.post(&format!("{base}/logout")).await;
    assert_eq!(out.location.as_deref(), Some("/login"), "{}", out.body);
}

/// The `href` of the link with `id`, HTML-unescaped.
fn href_of(body: &str, id: &str) -> String {
    let re = regex::Regex::new(&format!(r#"<a id="{id}" href="([^"]*)""#)).unwrap();
    re.captures(body)
        .map(|c| html_escape::decode_html_entities(&c[1]).into_owned())
        .unwrap_or_else(|| panic!("no link {id}: {body}"))
}

#[tokio::test]
async fn multi_offers_each_provider_with_its_own_callback() {
    let app = start_example("multi", &[]);
    let base = &app.base;

    // Google's button comes back to Google's callback, and the session knows the provider.
    let user = Browser::new();
    let login = user.get(&format!("{base}/login")).await.body;
    assert!(login.contains("Log in with GitHub") && login.contains("Log in with Google"));
    let callback = user
        .dev_authorize_link(&href_of(&login, "login-dev-google"), "ada")
        .await;
    assert!(
        callback.starts_with(&format!("{base}/redirect/dev-google?")),
        "{callback}"
    );
    assert_eq!(user.get(&callback).await.location.as_deref(), Some("/"));
    let home = user.get(&format!("{base}/")).await.body;
    assert_eq!(by_id(&home, "b", "provider").as_deref(), Some("dev-google"));

    // GitHub's button, in another browser, comes back to `/redirect`.
    let other = Browser::new();
    let login = other.get(&format!("{base}/login")).await.body;
    let callback = other
        .dev_authorize_link(&href_of(&login, "login-dev"), "bob")
        .await;
    assert!(
        callback.starts_with(&format!("{base}/redirect?")),
        "{callback}"
    );
    assert_eq!(other.get(&callback).await.location.as_deref(), Some("/"));
    let home = other.get(&format!("{base}/")).await.body;
    assert_eq!(by_id(&home, "b", "provider").as_deref(), Some("dev"));
}

// ---------------------------------------------------------------------------------------------
// "Cancel" at the provider, in every example: a page that says so and links back, never a 404.

/// Starts `name` (with `env`), cancels a login started at `login_path`, and checks the page the
/// browser ends on: 200, "The login was cancelled.", and a link to `back`.
async fn cancel_ends_on_a_page_that_links_back(
    name: &str,
    env: &[(&str, String)],
    login_path: &str,
    back: &str,
) {
    let app = start_example(name, env);
    let (url, page) = Browser::new().cancel_login(&app.base, login_path).await;
    assert_eq!(page.status, StatusCode::OK, "{name}: {url}: {}", page.body);
    assert!(
        page.body.contains("The login was cancelled."),
        "{name}: {url}: {}",
        page.body
    );
    assert!(
        page.body.contains(&format!("href={back}>"))
            || page.body.contains(&format!("href=\"{back}\"")),
        "{name}: no link to {back}: {}",
        page.body
    );
}

#[tokio::test]
async fn counter_handles_a_cancelled_login() {
    let dir = std::env::temp_dir().join(format!("counter-cancel-{}", std::process::id()));
    let env = [("COUNTS_DB", dir.join("counts.db").display().to_string())];
    cancel_ends_on_a_page_that_links_back("counter", &env, "/login", "/login").await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn minimal_handles_a_cancelled_login() {
    // No `/error` route of its own: the library's page.
    cancel_ends_on_a_page_that_links_back("minimal", &[], "/login", "/login").await;
}

#[tokio::test]
async fn multi_handles_a_cancelled_login() {
    cancel_ends_on_a_page_that_links_back("multi", &[], "/login", "/login").await;
}

#[tokio::test]
async fn oidc_handles_a_cancelled_login() {
    cancel_ends_on_a_page_that_links_back("oidc", &[], "/login", "/login").await;
}

#[tokio::test]
async fn revoke_handles_a_cancelled_login() {
    cancel_ends_on_a_page_that_links_back("revoke", &[], "/login", "/login").await;
}

#[tokio::test]
async fn state_handles_a_cancelled_login() {
    cancel_ends_on_a_page_that_links_back("state", &[], "/login", "/").await;
}

#[tokio::test]
async fn from_scratch_logs_out_by_post_only() {
    let app = start_example("from_scratch", &[]);
    let base = &app.base;
    let ada = Browser::new();
    let done = ada.dev_login(base, "ada").await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    let home = ada.get(&format!("{base}/")).await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    assert!(
        home.body.contains("<form method=post action=/logout>"),
        "{}",
        home.body
    );
    // A GET (what an `<img src>` on any page sends) only asks.
    let asked = ada.get(&format!("{base}/logout")).await;
    assert_eq!(asked.status, StatusCode::OK);
    assert!(asked.body.contains("Log out?"), "{}", asked.body);
    assert_eq!(ada.get(&format!("{base}/")).await.status, StatusCode::OK);
    // The form's POST logs out.
    let out = ada.post(&format!("{base}/logout")).await;
    assert_eq!(out.location.as_deref(), Some("/login"));
    assert_eq!(
        ada.get(&format!("{base}/")).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn from_scratch_handles_a_cancelled_login() {
    cancel_ends_on_a_page_that_links_back("from_scratch", &[], "/login", "/login").await;
}

// ---------------------------------------------------------------------------------------------
// The development provider never starts by accident.

/// An example process with its stdout and stderr read line by line; killed on drop.
struct Watched {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Drop for Watched {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Watched {
    /// Starts `examples/<name>` on a free loopback port with only `env` (and `PATH`, `BIND`).
    fn start(name: &str, env: &[(&str, &str)]) -> Self {
        use std::io::BufRead as _;
        let mut cmd = std::process::Command::new(common::example_path(name));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("BIND", format!("127.0.0.1:{}", common::free_port()))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        for stream in [
            Box::new(out) as Box<dyn std::io::Read + Send>,
            Box::new(err),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stream)
                    .lines()
                    .map_while(Result::ok)
                {
                    let _ = tx.send(line);
                }
            });
        }
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads lines until one contains `needle` (true), or the process closed both streams or
    /// 60 seconds passed (false).
    fn wait_for(&mut self, needle: &str) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(needle);
                    self.seen.push(line);
                    if found {
                        return true;
                    }
                }
                Err(_) => return false,
            }
        }
        false
    }

    /// Whether `needle` was printed (read so far, or within the next 60 seconds): stdout and
    /// stderr are read by two threads, so one stream's line may arrive after the other's.
    fn saw(&mut self, needle: &str) -> bool {
        self.output().contains(needle) || self.wait_for(needle)
    }

    /// Everything read so far, after draining what is already there.
    fn output(&mut self) -> String {
        self.seen.extend(self.lines.try_iter());
        self.seen.join("\n")
    }
}

const DEV_WARNING: &str = "WARNING: development OAuth provider enabled at";

#[tokio::test]
async fn the_development_providers_warning_reaches_stderr_whatever_the_log_filter() {
    // `state` honours RUST_LOG: with `off` the tracing event is filtered out, the warning is not.
    for (filter, mentions) in [("off", 1), ("warn", 2)] {
        let mut app = Watched::start("state", &[("RUST_LOG", filter)]);
        assert!(app.wait_for("listening on"), "{}", app.output());
        assert!(app.saw(DEV_WARNING), "RUST_LOG={filter}: {}", app.output());
        let output = app.output();
        assert_eq!(
            output.matches(DEV_WARNING).count(),
            1,
            "RUST_LOG={filter}: {output}"
        );
        assert_eq!(
            output
                .matches("development OAuth provider enabled at")
                .count(),
            mentions,
            "RUST_LOG={filter}: {output}"
        );
    }
}

#[tokio::test]
async fn the_examples_refuse_the_development_provider_on_a_public_url_that_is_not_loopback() {
    for name in ["counter", "state", "revoke", "oidc"] {
        let dir = std::env::temp_dir().join(format!("dev-refused-{}-{name}", std::process::id()));
        let db = dir.join("counts.db").display().to_string();
        let public = [
            ("PUBLIC_URL", "https://app.example.com"),
            ("COUNTS_DB", db.as_str()),
        ];
        let mut refused = Watched::start(name, &public);
        assert!(
            refused.wait_for("DEV_PROVIDER=1"),
            "{name}: {}",
            refused.output()
        );
        let output = refused.output();
        assert!(!output.contains("listening on"), "{name}: {output}");
        assert!(!output.contains(DEV_WARNING), "{name}: {output}");
        let status = refused.child.wait().unwrap();
        assert!(!status.success(), "{name}: {output}");

        // The explicit switch: it runs, and says so.
        let mut forced = Watched::start(name, &[public[0], public[1], ("DEV_PROVIDER", "1")]);
        assert!(
            forced.wait_for("listening on"),
            "{name}: {}",
            forced.output()
        );
        assert!(forced.saw(DEV_WARNING), "{name}: {}", forced.output());
        drop(forced);
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The Prometheus example after a login, a logout and a failed login (cancelled at the provider):
/// its metrics listener shows each, with the provider's and the store's round trips. Run with
/// `--nocapture` to see the figures.
#[tokio::test]
async fn prometheus_shows_a_login_a_logout_and_a_failed_login() {
    let metrics_bind = format!("127.0.0.1:{}", common::free_port());
    let app = start_example("prometheus", &[("METRICS_BIND", metrics_bind.clone())]);
    let base = &app.base;

    let ada = Browser::new();
    assert_eq!(
        ada.dev_login(base, "ada").await.location.as_deref(),
        Some("/")
    );
    assert_eq!(ada.get(&format!("{base}/")).await.status, StatusCode::OK);
    assert_eq!(
        ada.post(&format!("{base}/logout")).await.status,
        StatusCode::SEE_OTHER
    );
    let bob = Browser::new();
    let callback = bob.dev_cancel(base, "/login").await;
    bob.get(&callback).await;

    let text = common::get(format!("http://{metrics_bind}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let figures: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("oauth_") && !l.contains("_bucket{"))
        .collect();
    println!("{}", figures.join("\n"));
    // One sample line: its value, when its labels include all of `labels`.
    let value = |name: &str, labels: &[&str]| -> f64 {
        figures
            .iter()
            .find(|l| {
                l.split(['{', ' ']).next() == Some(name) && labels.iter().all(|x| l.contains(x))
            })
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or_else(|| panic!("no {name} {labels:?} in\n{text}"))
    };
    let event = |labels: &[&str]| value("oauth_events_total", labels);
    assert_eq!(event(&[r#"event="login_started""#]), 2.0);
    assert_eq!(event(&[r#"event="login_succeeded""#]), 1.0);
    assert_eq!(event(&[r#"event="logout""#, r#"kind="local""#]), 1.0);
    assert_eq!(
        event(&[r#"event="login_failed""#, r#"code="access_denied""#]),
        1.0
    );
    for call in ["token", "userinfo", "keys"] {
        let label = format!("call=\"{call}\"");
        assert!(value("oauth_provider_request_seconds_count", &[&label]) >= 1.0);
    }
    for call in ["create", "load", "save", "delete"] {
        let label = format!("call=\"{call}\"");
        assert!(value("oauth_store_seconds_count", &[&label]) >= 1.0);
    }
    assert!(text.contains("# HELP oauth_events_total"), "described");
    assert!(!text.contains("ada"), "no ident in the metrics");
}
