//! The OpenID relying-party conformance suite's negative modules, run against your own app
//! (feature `conformance`): a test in your crate that shows your app still refuses forged,
//! misdirected and tampered logins after your own changes to it.
//!
//! [`run`] serves the app you build on a loopback port with a [`DevProvider`] as its provider,
//! logs in through your login page once (the happy path), then plays each module: a login whose
//! provider misbehaves as the module says (a bad signature, another issuer, a replayed state...)
//! must end on your error path with the module's error code, and a bent back-channel logout token
//! must get a `400`. Your `get_auth` is never asked for a refused login; that the login did not
//! succeed is what each module checks.
//!
//! ```no_run
//! use axum::{Router, response::Redirect, routing::get};
//! use axum_oauth_login::prelude::*;
//! use axum_oauth_login::{Client, conformance};
//!
//! #[oauth(provider = "google")]
//! struct Auth;
//!
//! #[get_auth]
//! fn get_auth(info: &UserInfo) -> Option<Redirect> {
//!     info.email_verified.then(|| Redirect::to("/"))
//! }
//!
//! /// The app as `main` builds it, with the client passed in.
//! fn app(client: Client, public_url: &str) -> GuardedApp {
//!     let login = get(|login: Login| async move {
//!         axum::response::Html(format!("<a href=\"{}\">Log in</a>", login.link().await.unwrap()))
//!     });
//!     Auth.builder(client)
//!         .public_url(public_url.parse().unwrap())
//!         .install(Router::new().route("/", get(|| async { "home" })).route("/login", login))
//! }
//!
//! #[tokio::test]
//! async fn the_app_refuses_the_negative_conformance_modules() {
//!     conformance::run(app).await.assert_passed();
//! }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use http::{HeaderMap, Method, StatusCode, header};
use tokio::net::TcpListener;
use url::Url;

use crate::dev::{DevProvider, Fault};
use crate::http::HttpClient;
use crate::{Client, GuardedApp};

/// The name typed on the development provider's login page.
const USER: &str = "conformance";

/// How long one request to the app may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The callback modules: the fault, the module's name, the error code expected.
const CALLBACK_MODULES: &[(Fault, &str, &str)] = &[
    (
        Fault::WrongIssuer,
        "oidcc-client-test-invalid-iss",
        "id_token",
    ),
    (
        Fault::MissingSub,
        "oidcc-client-test-missing-sub",
        "id_token",
    ),
    (
        Fault::WrongAudience,
        "oidcc-client-test-invalid-aud",
        "id_token",
    ),
    (
        Fault::MissingIat,
        "oidcc-client-test-missing-iat",
        "id_token",
    ),
    (
        Fault::AlgNone,
        "oidcc-client-test-idtoken-sig-none",
        "id_token",
    ),
    (
        Fault::BadSignature,
        "oidcc-client-test-invalid-sig-es256",
        "id_token",
    ),
    (
        Fault::WrongNonce,
        "oidcc-client-test-nonce-invalid",
        "id_token",
    ),
    (
        Fault::UserinfoSubMismatch,
        "oidcc-client-test-userinfo-invalid-sub",
        "user_info",
    ),
    (Fault::ExpiredIdToken, "expired ID token", "id_token"),
    (
        Fault::UnknownKid,
        "ID token signed by an unpublished key",
        "id_token",
    ),
];

/// The back-channel logout modules: the fault and the module's name (each expects a `400`).
const LOGOUT_MODULES: &[(Fault, &str)] = &[
    (
        Fault::LogoutTokenAlgNone,
        "oidcc-client-test-rp-backchannel-rpinitlogout-alg-none",
    ),
    (
        Fault::LogoutTokenNoEvents,
        "oidcc-client-test-rp-backchannel-rpinitlogout-no-event",
    ),
    (
        Fault::LogoutTokenNonce,
        "oidcc-client-test-rp-backchannel-rpinitlogout-with-nonce",
    ),
    (
        Fault::LogoutTokenWrongAlg,
        "oidcc-client-test-rp-backchannel-rpinitlogout-wrong-alg",
    ),
    (
        Fault::LogoutTokenWrongAudience,
        "oidcc-client-test-rp-backchannel-rpinitlogout-wrong-aud",
    ),
    (
        Fault::LogoutTokenWrongEvents,
        "oidcc-client-test-rp-backchannel-rpinitlogout-wrong-event",
    ),
    (
        Fault::LogoutTokenWrongIssuer,
        "oidcc-client-test-rp-backchannel-rpinitlogout-wrong-iss",
    ),
];

/// Where [`run`] finds the app's pages; the library's defaults unless your `#[oauth]` moved them.
///
/// ```
/// use axum_oauth_login::conformance::Paths;
/// let paths = Paths { login: "/signin", ..Paths::default() };
/// assert_eq!(paths.error, "/error");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Paths {
    /// The login page, which links to the provider (`Login::link`).
    pub login: &'static str,
    /// The error path refused logins are sent to.
    pub error: &'static str,
    /// The back-channel logout endpoint (`OAuthBuilder::backchannel_logout`); `None` skips its
    /// modules (an app with back-channel logout off, or with a session store of its own).
    pub backchannel_logout: Option<&'static str>,
}

impl Default for Paths {
    fn default() -> Self {
        Self {
            login: "/login",
            error: "/error",
            backchannel_logout: Some(crate::backchannel::DEFAULT_PATH),
        }
    }
}

/// What one module came to.
///
/// ```
/// # async fn doc(report: axum_oauth_login::conformance::Report) {
/// for outcome in &report.outcomes {
///     println!("{}: {}", outcome.module, if outcome.passed { "ok" } else { &outcome.detail });
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Outcome {
    /// The module's name in the OpenID conformance suite (or what it plays, for the few checks
    /// that are not modules of their own).
    pub module: &'static str,
    /// What the module expects of the app.
    pub expected: String,
    /// Whether the app did that.
    pub passed: bool,
    /// What the app did.
    pub detail: String,
}

/// The outcomes of [`run`], one per module.
///
/// ```
/// # async fn doc(report: axum_oauth_login::conformance::Report) {
/// assert!(report.passed(), "{report}");
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Report {
    /// One per module, in the order they ran.
    pub outcomes: Vec<Outcome>,
}

impl Report {
    /// Whether every module passed.
    ///
    /// ```
    /// # async fn doc(report: axum_oauth_login::conformance::Report) {
    /// if !report.passed() { eprintln!("{report}"); }
    /// # }
    /// ```
    #[must_use]
    pub fn passed(&self) -> bool {
        !self.outcomes.is_empty() && self.outcomes.iter().all(|o| o.passed)
    }

    /// Panics with the table of outcomes unless every module passed: the line for a test.
    ///
    /// # Panics
    /// When a module failed.
    ///
    /// ```
    /// # async fn doc(report: axum_oauth_login::conformance::Report) {
    /// report.assert_passed();
    /// # }
    /// ```
    #[track_caller]
    pub fn assert_passed(&self) {
        assert!(self.passed(), "conformance modules failed:\n{self}");
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for o in &self.outcomes {
            let mark = if o.passed { "ok  " } else { "FAIL" };
            writeln!(
                f,
                "{mark} {}: expected {}; {}",
                o.module, o.expected, o.detail
            )?;
        }
        Ok(())
    }
}

/// Runs the modules against the app `make` builds with the [`Client`] it is given and the origin
/// it is served at (its public URL), with the default [`Paths`]: see the [module docs](self).
///
/// # Panics
/// When no loopback port can be bound, or the development provider cannot start.
///
/// ```no_run
/// # async fn doc(app: fn(axum_oauth_login::Client, &str) -> axum_oauth_login::GuardedApp) {
/// axum_oauth_login::conformance::run(app).await.assert_passed();
/// # }
/// ```
pub async fn run<F>(make: F) -> Report
where
    F: FnOnce(Client, &str) -> GuardedApp,
{
    run_with(Paths::default(), make).await
}

/// [`run`] with the app's own [`Paths`].
///
/// # Panics
/// As [`run`].
///
/// ```no_run
/// # async fn doc(app: fn(axum_oauth_login::Client, &str) -> axum_oauth_login::GuardedApp) {
/// use axum_oauth_login::conformance::{self, Paths};
/// conformance::run_with(Paths { login: "/signin", ..Paths::default() }, app).await.assert_passed();
/// # }
/// ```
pub async fn run_with<F>(paths: Paths, make: F) -> Report
where
    F: FnOnce(Client, &str) -> GuardedApp,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port for the app under test");
    let port = listener.local_addr().expect("its address").port();
    let base = format!("http://127.0.0.1:{port}");
    let dev = DevProvider::new(&base).expect("the development provider");
    let app = make(dev.client(), &base);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let run = Run {
        base,
        dev,
        paths,
        http: HttpClient::shared(),
    };
    let mut outcomes = Vec::new();
    outcomes.push(run.happy_path().await);
    outcomes.push(run.forged_state().await);
    for &(fault, module, code) in CALLBACK_MODULES {
        outcomes.push(run.refused_callback(fault, module, code).await);
    }
    if let Some(path) = paths.backchannel_logout {
        for &(fault, module) in LOGOUT_MODULES {
            outcomes.push(run.refused_logout_token(path, fault, module).await);
        }
    }
    server.abort();
    Report { outcomes }
}

/// A browser: a cookie jar and no redirects followed.
struct Browser<'a> {
    run: &'a Run,
    cookies: BTreeMap<String, String>,
}

/// A response as the modules need it.
struct Page {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl Browser<'_> {
    async fn send(
        &mut self,
        method: Method,
        url: &str,
        form: Option<String>,
    ) -> Result<Page, String> {
        let url = Url::parse(url).map_err(|_| format!("not a URL: {url}"))?;
        let mut request = self
            .run
            .http
            .request(method, url)
            .timeout(TIMEOUT)
            .header(header::ACCEPT, "text/html");
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            request = request.header(header::COOKIE, jar.join("; "));
        }
        if let Some(form) = form {
            request = request
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form);
        }
        let response = self
            .run
            .http
            .send(request)
            .await
            .map_err(|e| format!("the request failed: {e}"))?;
        self.keep_cookies(&response.headers);
        Ok(Page {
            status: response.status,
            location: response
                .headers
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: String::from_utf8_lossy(&response.body).into_owned(),
        })
    }

    fn keep_cookies(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(header::SET_COOKIE) {
            let Ok(value) = value.to_str() else { continue };
            let Ok(cookie) = tower_sessions::cookie::Cookie::parse(value.to_owned()) else {
                continue;
            };
            if cookie.max_age().is_some_and(|age| age.is_zero()) || cookie.value().is_empty() {
                self.cookies.remove(cookie.name());
            } else {
                self.cookies
                    .insert(cookie.name().to_owned(), cookie.value().to_owned());
            }
        }
    }

    /// From the login page to the callback URL the provider sends the browser to (not followed).
    async fn authorize(&mut self) -> Result<String, String> {
        let login = format!("{}{}", self.run.base, self.run.paths.login);
        let page = self.send(Method::GET, &login, None).await?;
        if page.status != StatusCode::OK {
            return Err(format!("the login page {login} answered {}", page.status));
        }
        let authorize = format!("{}/authorize?", self.run.dev.issuer());
        let link = links(&page.body)
            .into_iter()
            .find(|l| l.starts_with(&authorize))
            .ok_or_else(|| format!("the login page {login} has no link to {authorize}..."))?;
        let page = self.send(Method::GET, &link, None).await?;
        let form = hidden_fields(&page.body);
        let mut body = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in &form {
            body.append_pair(name, value);
        }
        body.append_pair("login", USER)
            .append_pair("action", "login");
        let action = format!("{}/authorize", self.run.dev.issuer());
        let page = self
            .send(Method::POST, &action, Some(body.finish()))
            .await?;
        page.location
            .filter(|_| page.status == StatusCode::SEE_OTHER)
            .ok_or_else(|| format!("the provider's login answered {}", page.status))
    }
}

/// The app under test and its provider.
struct Run {
    base: String,
    dev: DevProvider,
    paths: Paths,
    http: HttpClient,
}

impl Run {
    fn browser(&self) -> Browser<'_> {
        Browser {
            run: self,
            cookies: BTreeMap::new(),
        }
    }

    fn absolute(&self, location: &str) -> String {
        Url::parse(&self.base)
            .and_then(|base| base.join(location))
            .map_or_else(|_| location.to_owned(), String::from)
    }

    /// Whether `location` is the error path.
    fn is_error_path(&self, location: &str) -> bool {
        Url::parse(&self.absolute(location)).is_ok_and(|url| url.path() == self.paths.error)
    }

    /// Whether `location` is the error path with `code`.
    fn is_error(&self, location: &str, code: &str) -> bool {
        let Ok(url) = Url::parse(&self.absolute(location)) else {
            return false;
        };
        url.path() == self.paths.error && url.query_pairs().any(|(k, v)| k == "code" && v == code)
    }

    async fn happy_path(&self) -> Outcome {
        let mut b = self.browser();
        let result = async {
            let callback = b.authorize().await?;
            let page = b.send(Method::GET, &callback, None).await?;
            match page.location {
                Some(to) if page.status.is_redirection() && !self.is_error_path(&to) => {
                    Ok(format!("the callback accepted the login, sent to {to}"))
                }
                to => Err(format!("the callback answered {} {to:?}", page.status)),
            }
        }
        .await;
        outcome(
            "oidcc-client-test",
            "a login through the login page succeeds",
            result,
        )
    }

    async fn forged_state(&self) -> Outcome {
        let mut b = self.browser();
        let result = async {
            let callback = b.authorize().await?;
            let mut url = Url::parse(&callback).map_err(|_| "a bad callback URL".to_owned())?;
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| {
                    let v = if k == "state" {
                        "forged".into()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            url.query_pairs_mut().clear().extend_pairs(pairs);
            self.expect_refused(&mut b, url.as_str(), "state_mismatch")
                .await
        }
        .await;
        outcome(
            "callback with a forged state",
            "refused with state_mismatch",
            result,
        )
    }

    async fn refused_callback(&self, fault: Fault, module: &'static str, code: &str) -> Outcome {
        let mut b = self.browser();
        let result = async {
            let callback = b.authorize().await?;
            self.dev.set_fault(Some(fault));
            let result = self.expect_refused(&mut b, &callback, code).await;
            self.dev.set_fault(None);
            result
        }
        .await;
        outcome(module, &format!("refused with {code}"), result)
    }

    async fn expect_refused(
        &self,
        b: &mut Browser<'_>,
        callback: &str,
        code: &str,
    ) -> Result<String, String> {
        let page = b.send(Method::GET, callback, None).await?;
        match page.location {
            Some(to) if page.status.is_redirection() && self.is_error(&to, code) => {
                Ok(format!("sent to {to}"))
            }
            to => Err(format!(
                "the callback answered {} {to:?} {}",
                page.status,
                page.body.chars().take(200).collect::<String>()
            )),
        }
    }

    async fn refused_logout_token(
        &self,
        path: &str,
        fault: Fault,
        module: &'static str,
    ) -> Outcome {
        let result = async {
            self.dev.set_fault(Some(fault));
            let token = self.dev.logout_token(USER);
            self.dev.set_fault(None);
            let token = token.ok_or("the development provider made no logout token")?;
            let body = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("logout_token", &token)
                .finish();
            let url = format!("{}{path}", self.base);
            let page = self.browser().send(Method::POST, &url, Some(body)).await?;
            if page.status == StatusCode::BAD_REQUEST {
                Ok("400".to_owned())
            } else {
                Err(format!("{url} answered {}", page.status))
            }
        }
        .await;
        outcome(module, "400 from the back-channel logout endpoint", result)
    }
}

fn outcome(module: &'static str, expected: &str, result: Result<String, String>) -> Outcome {
    let passed = result.is_ok();
    Outcome {
        module,
        expected: expected.to_owned(),
        passed,
        detail: result.unwrap_or_else(|e| e),
    }
}

/// The `href`s of a page's links, unescaped.
fn links(html: &str) -> Vec<String> {
    html.split("href=")
        .skip(1)
        .filter_map(|rest| {
            let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            let end = rest[1..].find(quote)?;
            Some(html_escape::decode_html_entities(&rest[1..=end]).into_owned())
        })
        .collect()
}

/// The hidden fields of the development provider's login form.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input")
        .skip(1)
        .filter(|tag| tag.contains("type=\"hidden\""))
        .filter_map(|tag| Some((attribute(tag, "name")?, attribute(tag, "value")?)))
        .collect()
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let len = tag[start..].find('"')?;
    Some(html_escape::decode_html_entities(&tag[start..start + len]).into_owned())
}
