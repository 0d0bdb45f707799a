//! Logout: only a request from the app's own pages logs out with `GET`; another site's link, image
//! or form gets a confirmation page, and the user stays logged in. (A file of its own: the log
//! capture of `security.rs` must not share its process with other logins.)

mod common;

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use axum_oauth_login::dev::DevProvider;
use axum_oauth_login::prelude::*;
use common::{Browser, login_page, serve};
use reqwest::StatusCode;

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

fn routes() -> Router {
    Router::new()
        .route(
            "/",
            get(|Ident(a): Ident| async move { format!("hello {a}") }),
        )
        .route("/login", get(login_page))
}

/// A served app (public URL = its origin) and a browser logged in to it.
async fn logged_in() -> (common::Server, Browser) {
    let server = serve(|base| async move {
        let dev = DevProvider::new(&base).unwrap();
        Auth.builder(dev.client())
            .public_url(base.parse().unwrap())
            .install(routes())
    })
    .await;
    let b = Browser::new();
    let done = b.dev_login(&server.base, "ada").await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    (server, b)
}

/// Whether `b` is still logged in.
async fn still_logged_in(b: &Browser, base: &str) -> bool {
    let home = b.get(&format!("{base}/")).await;
    match home.status {
        StatusCode::OK => {
            assert!(home.body.starts_with("hello dev:dev-"), "{}", home.body);
            true
        }
        StatusCode::SEE_OTHER => false,
        other => panic!("GET / answered {other}: {}", home.body),
    }
}

#[tokio::test]
async fn a_get_logout_from_another_site_asks_first() {
    let (server, b) = logged_in().await;
    let base = &server.base;
    let url = format!("{base}/logout");
    for headers in [
        &[("sec-fetch-site", "cross-site")][..],
        &[("sec-fetch-site", "same-site")],
        &[("sec-fetch-site", "none")],
        // Fetch Metadata wins over a same-origin claim in the other headers.
        &[("sec-fetch-site", "cross-site"), ("origin", base.as_str())],
        &[("origin", "https://evil.example")],
        &[("origin", "null")],
        &[("referer", "https://evil.example/page")],
        &[("referer", "not a url")],
        // A link whose referrer was suppressed: nothing says where it comes from.
        &[],
    ] {
        let page = b.get_with(&url, headers).await;
        assert_eq!(page.status, StatusCode::OK, "{headers:?}: {}", page.body);
        assert!(page.body.contains("Log out?"), "{headers:?}: {}", page.body);
        assert_eq!(page.headers["x-frame-options"], "DENY");
        assert_eq!(page.headers["cache-control"], "no-store");
        assert!(
            still_logged_in(&b, base).await,
            "{headers:?} logged the user out"
        );
    }
    // The page's own button is the logout.
    let page = b.get_with(&url, &[("sec-fetch-site", "cross-site")]).await;
    let (action, fields) = common::parse_form(&page.body, &url);
    assert_eq!(action, url);
    let out = b
        .http
        .post(&action)
        .header("origin", base.as_str())
        .header("sec-fetch-site", "same-origin")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(!still_logged_in(&b, base).await);
}

#[tokio::test]
async fn a_get_logout_from_this_site_logs_out() {
    for headers in [
        &[("sec-fetch-site", "same-origin")][..],
        &[("origin", "SELF")],
        &[("referer", "SELF/some/page?x=1")],
    ] {
        let (server, b) = logged_in().await;
        let base = &server.base;
        let headers: Vec<(&str, String)> = headers
            .iter()
            .map(|(k, v)| (*k, v.replace("SELF", base)))
            .collect();
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let out = b.get_with(&format!("{base}/logout"), &headers).await;
        assert_eq!(
            out.status,
            StatusCode::SEE_OTHER,
            "{headers:?}: {}",
            out.body
        );
        assert_eq!(out.location.as_deref(), Some("/login"), "{headers:?}");
        assert!(!still_logged_in(&b, base).await, "{headers:?}");
    }
}

#[tokio::test]
async fn a_post_logout_logs_out_unless_it_comes_from_another_site() {
    let (server, b) = logged_in().await;
    let base = &server.base;
    let url = format!("{base}/logout");
    for (name, value) in [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
        ("referer", "https://evil.example/form"),
    ] {
        let refused = b.http.post(&url).header(name, value).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{name}: {value}");
        assert!(refused.text().await.unwrap().contains("Log out?"));
        assert!(still_logged_in(&b, base).await, "{name}: {value}");
    }
    // A POST without any of these headers (not a browser's cross-site form) logs out, as does
    // one from this site.
    let out = b.post(&url).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", out.body);
    assert!(!still_logged_in(&b, base).await);
    let (server, b) = logged_in().await;
    let base = &server.base;
    let out = b
        .http
        .post(format!("{base}/logout"))
        .header("origin", base.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(!still_logged_in(&b, base).await);
}

/// Without a public URL, the request's own host is the site.
#[tokio::test]
async fn without_a_public_url_the_requests_host_is_the_site() {
    let server = serve(|base| async move {
        let dev = DevProvider::new(&base).unwrap();
        Auth.install(routes(), dev.client())
    })
    .await;
    let base = &server.base;
    let b = Browser::new();
    b.dev_login(base, "ada").await;
    let url = format!("{base}/logout");
    let other = b.get_with(&url, &[("origin", "http://127.0.0.2:1")]).await;
    assert_eq!(other.status, StatusCode::OK);
    assert!(still_logged_in(&b, base).await);
    let out = b.get_with(&url, &[("origin", base.as_str())]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(!still_logged_in(&b, base).await);
}
