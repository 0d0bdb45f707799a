//! The guard decides on the same path the router routes: no spelling of a protected path
//! (double slashes, dot segments, percent-encoding, case, matrix parameters, trailing slashes,
//! nested routers and services) reaches a protected handler anonymously, and none makes the app
//! answer 500. Requests are sent as written: in-process with `tower::ServiceExt::oneshot` (the
//! `Uri` keeps the path verbatim) and as raw bytes over TCP to a real server (no client-side
//! normalisation of `..`).

mod common;

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum_oauth_login::dev::DevProvider;
use axum_oauth_login::prelude::*;
use common::{Browser, login_page};
use http::HeaderMap;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tower::ServiceExt as _;

#[oauth(provider = "dev", skip = ["/public", r"/static/.*"])]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/private"))
}

/// Every protected handler answers with a body containing this marker.
const PROTECTED: &str = "PROTECTED";

/// A nested service that is not an axum router (as `ServeDir` would be): it sees the path with
/// the prefix stripped, and the identity the guard put into the extensions.
async fn files(req: Request) -> Result<axum::response::Response, Infallible> {
    let who = req.extensions().get::<Ident>().map(|i| i.0.clone());
    Ok(format!("{PROTECTED} file {} for {who:?}", req.uri().path()).into_response())
}

/// A route that would be a WebSocket endpoint (axum's `ws` feature is off here): the guard must
/// answer an anonymous upgrade request before the handler sees it.
async fn ws(Ident(a): Ident, headers: HeaderMap) -> String {
    let upgrade = headers
        .get("upgrade")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    format!("{PROTECTED} ws for {a} upgrade={upgrade}")
}

/// An endpoint that upgrades the connection, as a WebSocket endpoint does, to a raw echo
/// protocol: the upgrade has to pass through the guard and its session layer, which hold the
/// request (and hyper's pending upgrade in its extensions) until the handler runs.
async fn echo(Ident(_a): Ident, mut req: Request) -> axum::response::Response {
    let upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else { return };
        let mut io = hyper_util::rt::TokioIo::new(upgraded);
        let mut buf = [0u8; 64];
        while let Ok(n @ 1..) = io.read(&mut buf).await {
            if io.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    });
    (
        http::StatusCode::SWITCHING_PROTOCOLS,
        [("connection", "upgrade"), ("upgrade", "echo")],
    )
        .into_response()
}

fn routes() -> Router {
    let admin = Router::new()
        .route(
            "/",
            get(|Ident(a): Ident| async move { format!("{PROTECTED} admin index for {a}") }),
        )
        .route(
            "/x",
            get(|Ident(a): Ident| async move { format!("{PROTECTED} admin x for {a}") }),
        )
        .route(
            "/{*rest}",
            get(|Ident(a): Ident, Path(rest): Path<String>| async move {
                format!("{PROTECTED} admin {rest} for {a}")
            }),
        );
    Router::new()
        .route(
            "/private",
            get(|Ident(a): Ident| async move { format!("{PROTECTED} private for {a}") })
                .post(|| async { PROTECTED }),
        )
        .route(
            "/private/{id}",
            get(|Ident(a): Ident, Path(id): Path<String>| async move {
                format!("{PROTECTED} private/{id} for {a}")
            }),
        )
        .nest("/admin", admin)
        .nest_service("/files", tower::service_fn(files))
        .route("/ws", get(ws))
        .route("/echo", get(echo))
        .route("/public", get(|| async { "public page" }))
        .route(
            "/static/{*rest}",
            get(|Path(rest): Path<String>| async move { format!("static {rest}") }),
        )
        .route("/login", get(login_page))
        .route("/error", get(|| async { "error page" }))
}

/// The app, not served: for in-process requests (anonymous ones never reach the provider).
fn app() -> GuardedApp {
    let dev = DevProvider::new("http://127.0.0.1:9").unwrap();
    Auth.builder(dev.client())
        .public_url("http://127.0.0.1:9".parse().unwrap())
        .install(routes())
}

/// Spellings of protected paths. None may answer the protected content anonymously.
const ATTACKS: &[&str] = &[
    "/private",
    "//private",
    "///private",
    "/./private",
    "/private/",
    "/private/.",
    "/private/..",
    "/private//",
    "/PRIVATE",
    "/Private",
    "/%70rivate",
    "/%2Fprivate",
    "/private%2Fx",
    "/private%2F",
    "/private%00",
    "/private%20",
    "/private;x=1",
    "/private;/x",
    "/private?x=/public",
    "/private/1",
    "/private/1/",
    "/private/..%2F..%2Fpublic",
    "/public/../private",
    "/public/..%2Fprivate",
    "/public%2F..%2Fprivate",
    "/public/%2e%2e/private",
    "/public/%2E%2E/private",
    "/public/./../private",
    "/public;/../private",
    "/public/",
    "/public/x",
    "/public/../admin",
    "/static/../private",
    "/static/%2e%2e/private",
    "/static/..%2fprivate",
    "/static//../../private",
    "/static/../admin/x",
    "/static/../files/a.txt",
    "/static/../ws",
    "/login/../private",
    "/error/../private",
    "/redirect/../private",
    "/logout/../private",
    "/_dev/oauth/../../private",
    "/_dev/oauth/%2e%2e/%2e%2e/private",
    "/_dev/oauth/../../admin/x",
    "/admin",
    "/admin/",
    "/admin/x",
    "/admin/x/",
    "/admin/anything/deeper",
    "//admin",
    "//admin/x",
    "/./admin",
    "/ADMIN",
    "/%61dmin",
    "/admin%2Fx",
    "/admin/../private",
    "/files",
    "/files/",
    "/files/a.txt",
    "/files/../private",
    "//files/a.txt",
    "/%66iles/a.txt",
    "/ws",
    "/ws/",
    "//ws",
];

/// Paths that are public and must pass anonymously.
const PUBLIC: &[(&str, &str)] = &[
    ("/public", "public page"),
    ("/static/a.css", "static a.css"),
    ("/static/js/app.js", "static js/app.js"),
    ("/login", "Log in"),
    ("/error", "error page"),
];

/// The verdict on one anonymous answer: never 5xx, never the protected content, and a redirect
/// only ever to the login page.
fn check(what: &str, status: u16, location: Option<&str>, body: &str) {
    assert!(status < 500, "{what}: answered {status}: {body}");
    assert!(
        !body.contains(PROTECTED),
        "{what}: the protected content leaked ({status}): {body}"
    );
    if (300..400).contains(&status) {
        assert!(
            location.is_some_and(is_login_page),
            "{what}: {status} to {location:?}"
        );
    }
}

/// The login page, with at most a `next` that is a safe, same-origin target.
fn is_login_page(location: &str) -> bool {
    location == "/login" || location.strip_prefix("/login?").is_some_and(|query| {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        matches!(&pairs[..], [(key, next)] if key == "next" && axum_oauth_login::manual::is_safe_next(next))
    })
}

/// `/login?next=<target>`, as the guard writes it.
fn login_next(target: &str) -> String {
    format!(
        "/login?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("next", target)
            .finish()
    )
}

async fn oneshot(
    router: &GuardedApp,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> Option<(u16, Option<String>, String)> {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(target)
        .header("host", "127.0.0.1:9");
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    // A target `http::Uri` refuses would be refused by the server too (400, see the TCP test).
    let req = builder.body(Body::empty()).ok()?;
    assert_eq!(
        req.uri().path_and_query().unwrap().as_str(),
        target,
        "the path was changed before the app saw it"
    );
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    Some((
        status,
        location,
        String::from_utf8_lossy(&body).into_owned(),
    ))
}

#[tokio::test]
async fn anonymous_spellings_of_protected_paths_never_reach_the_handlers_in_process() {
    let router = app();
    let mut seen = Vec::new();
    for target in ATTACKS {
        for method in ["GET", "HEAD", "POST", "OPTIONS"] {
            let Some((status, location, body)) = oneshot(&router, method, target, &[]).await else {
                continue;
            };
            check(
                &format!("{method} {target}"),
                status,
                location.as_deref(),
                &body,
            );
            if method == "GET" {
                seen.push(format!("{target} -> {status}"));
            }
        }
    }
    // The plain protected paths are redirected, not merely "not found".
    for target in [
        "/private",
        "/private/1",
        "/admin",
        "/admin/x",
        "/files/a.txt",
        "/ws",
    ] {
        let (status, location, _) = oneshot(&router, "GET", target, &[]).await.unwrap();
        assert_eq!(
            (status, location),
            (303, Some(login_next(target))),
            "{target}"
        );
    }
    eprintln!("{}", seen.join("\n"));
}

#[tokio::test]
async fn anonymous_websocket_upgrade_is_redirected() {
    let router = app();
    let upgrade = [
        ("connection", "Upgrade"),
        ("upgrade", "websocket"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    for target in ["/ws", "//ws", "/ws/", "/static/../ws"] {
        let (status, location, body) = oneshot(&router, "GET", target, &upgrade).await.unwrap();
        check(target, status, location.as_deref(), &body);
        assert_ne!(status, 101, "{target}");
    }
    let (status, location, _) = oneshot(&router, "GET", "/ws", &upgrade).await.unwrap();
    assert_eq!((status, location), (303, Some(login_next("/ws"))));
    // HTMX asks for a client-side redirect, still without the content.
    let (status, _, body) = oneshot(&router, "GET", "/private", &[("hx-request", "true")])
        .await
        .unwrap();
    assert!(status < 500 && !body.contains(PROTECTED));
}

#[tokio::test]
async fn public_paths_pass_anonymously() {
    let router = app();
    for (target, body_has) in PUBLIC {
        let (status, _, body) = oneshot(&router, "GET", target, &[]).await.unwrap();
        assert_eq!(status, 200, "{target}: {body}");
        assert!(body.contains(body_has), "{target}: {body}");
    }
}

// ---------------------------------------------------------------------------------------------
// The same over real TCP, bytes as written.

/// Sends `GET <target>` (or a whole request line) as raw bytes; returns status, location, and
/// the whole response text.
async fn raw(
    base: &str,
    request_line: &str,
    headers: &[(&str, &str)],
) -> (u16, Option<String>, String) {
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{request_line}\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out))
        .await
        .expect("the server hung")
        .unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line for {request_line:?}: {text:?}"));
    let location = text
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or_else(|| l.strip_prefix("Location: "))
        })
        .map(str::to_owned);
    (status, location, text)
}

async fn served() -> (common::Server, DevProvider) {
    common::serve_dev(|dev, base| {
        Auth.builder(dev.client())
            .public_url(base.parse().unwrap())
            .install(routes())
    })
    .await
}

#[tokio::test]
async fn anonymous_spellings_of_protected_paths_over_tcp() {
    let (server, _dev) = served().await;
    let base = &server.base;
    let host = base.trim_start_matches("http://");
    for target in ATTACKS {
        for method in ["GET", "POST"] {
            let line = format!("{method} {target} HTTP/1.1");
            let (status, location, text) = raw(base, &line, &[("Content-Length", "0")]).await;
            check(&line, status, location.as_deref(), &text);
        }
        // Absolute-form request targets (RFC 9112 §3.2.2) as a proxy would send them.
        let line = format!("GET http://{host}{target} HTTP/1.1");
        let (status, location, text) = raw(base, &line, &[]).await;
        check(&line, status, location.as_deref(), &text);
    }
    // Targets `http::Uri` refuses: the server answers 400 before any routing.
    for target in [
        r"/public\..\private",
        "/private<x>",
        "/pri vate",
        "/public/../private#x",
    ] {
        let line = format!("GET {target} HTTP/1.1");
        let (status, location, text) = raw(base, &line, &[]).await;
        check(&line, status, location.as_deref(), &text);
    }
    let upgrade = [
        ("Connection", "Upgrade"),
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    let (status, location, text) = raw(base, "GET /ws HTTP/1.1", &upgrade).await;
    check("ws upgrade", status, location.as_deref(), &text);
    assert_eq!((status, location), (303, Some(login_next("/ws"))));
    for (target, body_has) in PUBLIC {
        let (status, _, text) = raw(base, &format!("GET {target} HTTP/1.1"), &[]).await;
        assert_eq!(status, 200, "{target}: {text}");
        assert!(text.contains(body_has), "{target}: {text}");
    }
}

/// Sends an upgrade request for `/echo` and returns the response head; on a 101, the stream.
async fn upgrade(base: &str, cookie: Option<&str>) -> (String, tokio::net::TcpStream) {
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req =
        format!("GET /echo HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: echo\r\n");
    if let Some(cookie) = cookie {
        req.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut byte))
            .await
            .expect("the server hung")
            .unwrap();
        assert_eq!(n, 1, "closed before the end of the head: {head:?}");
        head.push(byte[0]);
    }
    (String::from_utf8(head).unwrap(), stream)
}

#[tokio::test]
async fn a_connection_upgrade_passes_the_guard_only_with_a_session() {
    let (server, _dev) = served().await;
    let base = &server.base;
    let (head, _) = upgrade(base, None).await;
    assert!(head.starts_with("HTTP/1.1 303"), "{head}");
    assert!(head.contains("location: /login?next=%2Fecho\r\n"), "{head}");

    let b = Browser::new();
    let done = b.dev_login(base, "ada").await;
    assert_eq!(done.location.as_deref(), Some("/private"), "{}", done.body);
    let cookie = b.cookie_header(base).unwrap();
    let (head, mut stream) = upgrade(base, Some(&cookie)).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(
        !head.contains("set-cookie"),
        "a read-only request saves nothing: {head}"
    );
    for message in ["ping", "and again"] {
        stream.write_all(message.as_bytes()).await.unwrap();
        let mut back = vec![0u8; message.len()];
        tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut back))
            .await
            .expect("the upgraded connection hung")
            .unwrap();
        assert_eq!(back, message.as_bytes());
    }
}

#[tokio::test]
async fn logged_in_the_same_routes_answer_with_the_users_identity() {
    // The control experiment: the redirects above are the guard's doing, not broken routes.
    let (server, _dev) = served().await;
    let base = &server.base;
    let b = Browser::new();
    let done = b.dev_login(base, "ada").await;
    assert_eq!(done.location.as_deref(), Some("/private"), "{}", done.body);
    let cookie = b.cookie_header(base).unwrap();
    let who = b.get(&format!("{base}/private")).await.body;
    let ident = who.rsplit(' ').next().unwrap().to_owned();
    assert!(ident.starts_with("dev:dev-"), "{who}");
    for (target, expected) in [
        ("/private", format!("{PROTECTED} private for {ident}")),
        ("/private/7", format!("{PROTECTED} private/7 for {ident}")),
        ("/admin", format!("{PROTECTED} admin index for {ident}")),
        ("/admin/x", format!("{PROTECTED} admin x for {ident}")),
        ("/admin/a/b", format!("{PROTECTED} admin a/b for {ident}")),
        (
            "/files/a.txt",
            format!("{PROTECTED} file /a.txt for Some({ident:?})"),
        ),
        (
            "/ws",
            format!("{PROTECTED} ws for {ident} upgrade=websocket"),
        ),
    ] {
        let (status, _, text) = raw(
            base,
            &format!("GET {target} HTTP/1.1"),
            &[("Cookie", &cookie), ("Upgrade", "websocket")],
        )
        .await;
        assert_eq!(status, 200, "{target}: {text}");
        assert!(text.ends_with(&expected), "{target}: {text}");
    }
    // Logged in or not, the dotted spellings are not routed to the protected handlers by axum
    // (it does not normalise paths): the guard and the router agree on the path as sent.
    for target in ["/public/../private", "/static/../private"] {
        let (status, _, text) = raw(
            base,
            &format!("GET {target} HTTP/1.1"),
            &[("Cookie", &cookie)],
        )
        .await;
        assert!(status < 500, "{target}: {text}");
        assert!(
            !text.contains(&format!("private for {ident}")),
            "{target}: {text}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// A protected fallback (an SPA shell, a catch-all page): the guard wraps it too.

fn routes_with_fallback() -> Router {
    routes().fallback(|| async { format!("{PROTECTED} fallback") })
}

#[tokio::test]
async fn a_protected_fallback_is_guarded_for_unrouted_paths() {
    let dev = DevProvider::new("http://127.0.0.1:9").unwrap();
    let router = Auth
        .builder(dev.client())
        .public_url("http://127.0.0.1:9".parse().unwrap())
        .install(routes_with_fallback());
    for target in [
        "/nope",
        "//private",
        "/PRIVATE",
        "/%70rivate",
        "/public/../private",
        "/public/x",
        "/static",
        "/_dev",
        "/_dev/oauth",
    ] {
        let (status, location, body) = oneshot(&router, "GET", target, &[]).await.unwrap();
        check(target, status, location.as_deref(), &body);
        assert_eq!(status, 303, "{target}");
    }
}

/// The development provider's mount point is made public as a whole prefix (`/_dev/oauth/`),
/// not as its seven routes: an unrouted path under it skips the guard and lands in the app's
/// fallback, which the guard otherwise protects. With a fallback that serves protected content
/// the content leaks; with one that extracts `Ident`, the app answers 500.
#[tokio::test]
async fn the_dev_provider_prefix_does_not_open_the_protected_fallback() {
    let dev = DevProvider::new("http://127.0.0.1:9").unwrap();
    let public_url: url::Url = "http://127.0.0.1:9".parse().unwrap();
    let plain = Auth
        .builder(dev.client())
        .public_url(public_url.clone())
        .install(routes_with_fallback());
    let with_ident =
        Auth.builder(dev.client())
            .public_url(public_url)
            .install(routes().fallback(|Ident(a): Ident| async move {
                format!("{PROTECTED} fallback for {a}")
            }));
    // Its real routes are public, as they must be.
    let (status, _, _) = oneshot(&plain, "GET", "/_dev/oauth/jwks", &[])
        .await
        .unwrap();
    assert_eq!(status, 200);
    let mut violations = Vec::new();
    for (name, router) in [
        ("content fallback", &plain),
        ("Ident fallback", &with_ident),
    ] {
        for target in [
            "/_dev/oauth/anything",
            "/_dev/oauth/../../private",
            "/_dev/oauth/%2e%2e/secret",
            "/_dev/oauth/",
        ] {
            let (status, location, body) = oneshot(router, "GET", target, &[]).await.unwrap();
            let leaked = body.contains(PROTECTED);
            let wrong_redirect =
                (300..400).contains(&status) && location.as_deref() != Some("/login");
            if status >= 500 || leaked || wrong_redirect {
                violations.push(format!("{name}: GET {target} -> {status} {body:?}"));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "anonymous requests under /_dev/oauth/ bypass the guard:\n{}",
        violations.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Who gets the 303: page navigations. `fetch`, JSON clients and HTMX get answers they can use.

/// The status, headers and body of an in-process request.
async fn answer(
    router: &GuardedApp,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> (u16, http::HeaderMap, String) {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(target)
        .header("host", "127.0.0.1:9");
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let res = router
        .clone()
        .oneshot(builder.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = res.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    (
        parts.status.as_u16(),
        parts.headers,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

const NAVIGATION_ACCEPT: &str = common::NAVIGATION_ACCEPT;

#[tokio::test]
async fn anonymous_requests_that_are_not_page_navigations_get_a_401_in_json() {
    let router = app();
    for headers in [
        &[("accept", "application/json")][..],
        &[("accept", "*/*")],
        &[("accept", "application/json"), ("sec-fetch-mode", "cors")],
        &[("accept", NAVIGATION_ACCEPT), ("sec-fetch-mode", "cors")],
        &[("accept", NAVIGATION_ACCEPT), ("sec-fetch-mode", "no-cors")],
        &[
            ("accept", NAVIGATION_ACCEPT),
            ("sec-fetch-mode", "same-origin"),
        ],
        &[("sec-fetch-mode", "websocket")],
    ] {
        for (method, target) in [
            ("GET", "/private?x=1"),
            ("POST", "/private"),
            ("GET", "/admin/x"),
        ] {
            let what = format!("{method} {target} {headers:?}");
            let (status, h, body) = answer(&router, method, target, headers).await;
            assert_eq!(status, 401, "{what}: {body}");
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(
                json,
                serde_json::json!({"error": "login_required", "login": "/login"}),
                "{what}"
            );
            assert_eq!(h["content-type"], "application/json", "{what}");
            assert_eq!(h["cache-control"], "no-store", "{what}");
            let vary = h["vary"].to_str().unwrap().to_ascii_lowercase();
            for looked_at in ["accept", "sec-fetch-mode", "hx-request", "cookie"] {
                assert!(vary.contains(looked_at), "{what}: vary {vary}");
            }
            assert!(h.get("www-authenticate").is_none(), "{what}");
            assert!(h.get("location").is_none(), "{what}");
        }
    }
}

#[tokio::test]
async fn page_navigations_get_the_303_and_htmx_its_redirect_header() {
    let router = app();
    for headers in [
        &[][..],
        &[("accept", NAVIGATION_ACCEPT)],
        &[("accept", "TEXT/HTML")],
        &[("accept", "text/html"), ("sec-fetch-mode", "navigate")],
        &[("accept", "*/*"), ("sec-fetch-mode", "navigate")],
    ] {
        let (status, h, _) = answer(&router, "GET", "/private?x=1", headers).await;
        assert_eq!(status, 303, "{headers:?}");
        assert_eq!(
            h["location"],
            login_next("/private?x=1").as_str(),
            "{headers:?}"
        );
    }
    // HTMX (a `fetch` underneath) is told to navigate the whole page.
    let htmx = [
        ("hx-request", "true"),
        ("accept", "*/*"),
        ("sec-fetch-mode", "cors"),
    ];
    let (status, h, body) = answer(&router, "POST", "/private", &htmx).await;
    assert_eq!(status, 200);
    assert_eq!(h["hx-redirect"], "/login");
    assert!(!body.contains(PROTECTED));
    // With the page it was on, the login comes back to that page (not to the fragment, and only
    // its path and query: another site's URL cannot send the user away).
    for (current, expected) in [
        (
            "http://127.0.0.1:8000/private?tab=2",
            login_next("/private?tab=2"),
        ),
        ("https://evil.example/private", login_next("/private")),
        ("http://127.0.0.1:8000/", "/login".to_owned()),
        ("not a url", "/login".to_owned()),
    ] {
        let mut headers = htmx.to_vec();
        headers.push(("hx-current-url", current));
        let (status, h, _) = answer(&router, "GET", "/private/fragment", &headers).await;
        assert_eq!(status, 200, "{current}");
        assert_eq!(h["hx-redirect"], expected.as_str(), "{current}");
    }
}

#[tokio::test]
async fn only_a_get_of_a_page_carries_its_return_target() {
    let router = app();
    let navigate = [
        ("accept", NAVIGATION_ACCEPT),
        ("sec-fetch-mode", "navigate"),
    ];
    for (method, target, location) in [
        ("GET", "/private", login_next("/private")),
        (
            "GET",
            "/admin/x?a=1&b=%2F",
            login_next("/admin/x?a=1&b=%2F"),
        ),
        // A form posted after the session ended: the login page, no return to a POST target.
        ("POST", "/private", "/login".to_owned()),
        ("HEAD", "/private", "/login".to_owned()),
        // Not a same-origin path: no target at all.
        ("GET", "//private", "/login".to_owned()),
        ("GET", "/%2F/private", "/login".to_owned()),
    ] {
        let (status, h, _) = answer(&router, method, target, &navigate).await;
        assert_eq!(status, 303, "{method} {target}");
        assert_eq!(h["location"], location.as_str(), "{method} {target}");
    }
}
