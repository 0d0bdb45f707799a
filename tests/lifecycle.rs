//! Several providers in one app, the `form_post` callback, token refresh one at a time per
//! session, and what the guard asks of the session store.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use axum::Router;
use axum::response::{Html, Redirect};
use axum::routing::get;
use axum_oauth_login::prelude::*;
use common::{Browser, serve_dev};
use reqwest::StatusCode;
use tower_sessions::MemoryStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

#[oauth(provider = "dev", skip = ["/public"], public = ["/welcome"])]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

/// One link per provider, `#[oauth(provider)]`'s first; `?only=NAME` shows one provider's link.
async fn login(
    login: Login,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Html<String>, Error> {
    let only = query.as_deref().and_then(|q| q.strip_prefix("only="));
    let mut page = String::new();
    let names: Vec<&str> = login.providers().collect();
    for name in names.into_iter().filter(|n| only.is_none_or(|o| o == *n)) {
        let link = login.provider(name).expect("a provider of the app");
        page.push_str(&format!(
            r#"<a href="{}">{name}</a>"#,
            html_escape::encode_double_quoted_attribute(&link.link().await?)
        ));
    }
    Ok(Html(page))
}

/// A public page: a greeting for a logged-in visitor, a login link (with state) for the others.
async fn welcome(ident: Option<Ident>, login: Login) -> Result<String, Error> {
    Ok(match ident {
        Some(Ident(auth)) => format!("welcome back {auth}"),
        None => format!(
            "welcome; log in at {}",
            login.link_with_state("draft").await?
        ),
    })
}

fn routes() -> Router {
    common::hello_routes()
        .route("/welcome", get(welcome))
        .route("/login", get(login))
        .route(
            "/provider",
            get(|t: UserTokens| async move { t.provider().await }),
        )
        .route(
            "/refresh",
            get(|t: UserTokens| async move {
                Ok::<_, Error>(t.refresh().await?.access_token().to_owned())
            }),
        )
        .route(
            "/error",
            get(|q: axum::extract::RawQuery| async move {
                format!("error {}", q.0.unwrap_or_default())
            }),
        )
}

const ONE_PROVIDER: bool = false;
const TWO_PROVIDERS: bool = true;

/// The app on the development provider; with `second`, the same provider again under the name
/// `dev2`, standing in for a second provider.
async fn start(second: bool) -> common::Server {
    let (server, _dev) = serve_dev(|dev, base| {
        let builder = Auth.builder(dev.client());
        let builder = if second {
            builder.add_provider(dev.client().with_provider(|p| p.name = "dev2"))
        } else {
            builder
        };
        builder.public_url(base.parse().unwrap()).install(routes())
    })
    .await;
    server
}

#[tokio::test]
async fn two_providers_share_one_guard_and_session_with_their_own_callbacks() {
    let server = start(TWO_PROVIDERS).await;
    let base = &server.base;

    let b = Browser::new();
    let page = b.get(&format!("{base}/login")).await.body;
    assert!(
        page.contains(">dev</a>") && page.contains(">dev2</a>"),
        "{page}"
    );
    assert!(page.find(">dev<").unwrap() < page.find(">dev2<").unwrap());

    // The second provider's login comes back to its own callback path.
    let callback = b.dev_authorize(base, "/login?only=dev2", "ada").await;
    assert!(
        callback.starts_with(&format!("{base}/redirect/dev2?")),
        "{callback}"
    );
    let done = b.get(&callback).await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    assert!(
        b.get(&format!("{base}/"))
            .await
            .body
            .starts_with("hello dev2:dev-")
    );
    assert_eq!(b.get(&format!("{base}/provider")).await.body, "dev2");

    // The first provider's login, in another browser, at `/redirect`.
    let b1 = Browser::new();
    let callback = b1.dev_authorize(base, "/login", "bob").await;
    assert!(
        callback.starts_with(&format!("{base}/redirect?")),
        "{callback}"
    );
    b1.get(&callback).await;
    assert_eq!(b1.get(&format!("{base}/provider")).await.body, "dev");
}

#[tokio::test]
async fn a_login_cannot_finish_at_another_providers_callback() {
    let server = start(TWO_PROVIDERS).await;
    let base = &server.base;
    let b = Browser::new();
    let callback = b.dev_authorize(base, "/login?only=dev2", "ada").await;
    // The answer for dev2's login, delivered to the first provider's callback (a mix-up).
    let mixed = callback.replacen("/redirect/dev2?", "/redirect?", 1);
    let refused = b.get(&mixed).await;
    assert_eq!(
        refused.location.as_deref(),
        Some("/error?code=state_mismatch")
    );
    assert_eq!(
        b.get(&format!("{base}/")).await.status,
        StatusCode::SEE_OTHER
    );
    // The pending login was used up by the refused attempt: the right callback refuses it too.
    let late = b.get(&callback).await;
    assert_eq!(late.location.as_deref(), Some("/error?code=state_mismatch"));
}

#[test]
#[should_panic(expected = "two providers are named `dev`")]
fn two_providers_with_one_name_are_refused_at_start_up() {
    let dev = axum_oauth_login::dev::DevProvider::new("http://127.0.0.1:1").unwrap();
    let _ = Auth
        .builder(dev.client())
        .add_provider(dev.client())
        .install(routes());
}

/// `response_mode=form_post`: the provider's cross-site POST carries no `SameSite=Lax` cookie, so
/// the callback answers a page that posts the same fields again from the site (never a redirect
/// that would put them, Apple's name and email included, in a URL). The browser's second POST
/// carries the cookie and logs in.
#[tokio::test]
async fn form_post_answers_are_relayed_from_the_site_with_the_cookie() {
    let server = start(ONE_PROVIDER).await;
    let base = &server.base;
    let b = Browser::new();
    let callback = b.dev_authorize(base, "/login", "ada").await;
    let mut params: Vec<(String, String)> = common::query(&callback).into_iter().collect();
    // What Sign in with Apple adds on a first login: markup-like characters must survive.
    let user = r#"{"name":{"firstName":"Ada \"<b>&"},"email":"ada@example.com"}"#;
    params.push(("user".into(), user.into()));

    // A fresh client stands in for the cross-site POST.
    let relay = Browser::new()
        .post_form(&format!("{base}/redirect"), &params)
        .await;
    assert_eq!(relay.status, StatusCode::OK, "{}", relay.body);
    assert_eq!(relay.location, None);
    assert!(relay.headers.get("set-cookie").is_none());
    assert_eq!(relay.headers["cache-control"], "no-store");
    assert_eq!(relay.headers["referrer-policy"], "no-referrer");
    assert!(!relay.body.contains("ada@example.com\""), "{}", relay.body);
    assert!(!relay.body.contains("<b>"), "unescaped: {}", relay.body);
    let (action, fields) = relay_form(&relay.body);
    assert_eq!(action, "/redirect");
    let mut expected = params.clone();
    expected.push(("oauth_relayed".into(), "1".into()));
    expected.sort();
    let mut relayed = fields.clone();
    relayed.sort();
    assert_eq!(relayed, expected);
    // The page may run its own script and nothing else.
    let script = regex::Regex::new("<script>(.*?)</script>").unwrap();
    let script = &script.captures(&relay.body).expect("a script")[1];
    let hash = {
        use base64::Engine as _;
        use sha2::Digest as _;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script))
    };
    let policy = relay.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.starts_with("default-src 'none'; "), "{policy}");
    assert!(
        policy.contains(&format!("script-src 'sha256-{hash}'")),
        "{policy}"
    );

    // A relayed POST that still brings no cookie is handled, not relayed again.
    let cookieless = Browser::new()
        .post_form(&format!("{base}/redirect"), &fields)
        .await;
    assert_eq!(
        cookieless.location.as_deref(),
        Some("/error?code=state_mismatch")
    );

    // The browser submits the page's form with its cookie and is logged in.
    let done = b.post_form(&format!("{base}{action}"), &fields).await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    assert!(
        b.get(&format!("{base}/"))
            .await
            .body
            .starts_with("hello dev:dev-")
    );
}

/// A provider's POST that does carry the session cookie (an app whose cookie is `SameSite=None`)
/// is the callback itself: no relay page.
#[tokio::test]
async fn a_form_post_answer_with_the_cookie_logs_in_at_once() {
    let server = start(ONE_PROVIDER).await;
    let base = &server.base;
    let b = Browser::new();
    let callback = b.dev_authorize(base, "/login", "ada").await;
    let params: Vec<(String, String)> = common::query(&callback).into_iter().collect();
    let done = b.post_form(&format!("{base}/redirect"), &params).await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
}

/// The relay page's form: its action and its hidden fields, unescaped.
fn relay_form(page: &str) -> (String, Vec<(String, String)>) {
    let unescape = |s: &str| html_escape::decode_html_entities(s).into_owned();
    let action = regex::Regex::new(r#"<form method=post action="([^"]*)">"#).unwrap();
    let action = unescape(&action.captures(page).expect("a form")[1]);
    let input = regex::Regex::new(r#"<input type=hidden name="([^"]*)" value="([^"]*)">"#).unwrap();
    let fields = input
        .captures_iter(page)
        .map(|c| (unescape(&c[1]), unescape(&c[2])))
        .collect();
    (action, fields)
}

#[tokio::test]
async fn concurrent_refreshes_of_one_session_spend_the_refresh_token_once() {
    let server = start(ONE_PROVIDER).await;
    let base = server.base.clone();
    let b = Browser::new();
    b.dev_login(&base, "ada").await;

    // The development provider treats a reused refresh token as stolen: it refuses it and revokes
    // the whole family. Without single flight, some of these would fail, and the next refresh too.
    let answers = futures_join_all((0..8).map(|_| {
        let b = b.clone();
        let url = format!("{base}/refresh");
        async move { b.get(&url).await }
    }))
    .await;
    for page in &answers {
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    }
    let after = b.get(&format!("{base}/refresh")).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.body);
    assert!(answers.iter().all(|p| p.body != after.body));
}

async fn futures_join_all<F: Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send,
{
    let tasks: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

/// A memory store that counts its calls and keeps the last record it loaded.
#[derive(Debug, Clone, Default)]
struct CountingStore {
    inner: MemoryStore,
    loads: Arc<AtomicUsize>,
    writes: Arc<AtomicUsize>,
    last: Arc<std::sync::Mutex<Option<Record>>>,
}

#[async_trait]
impl SessionStore for CountingStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.create(record).await
    }
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.save(record).await
    }
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        let record = self.inner.load(id).await?;
        *self.last.lock().unwrap() = record.clone();
        Ok(record)
    }
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.delete(id).await
    }
}

#[tokio::test]
async fn the_guard_asks_the_store_once_per_logged_in_request_and_never_otherwise() {
    let store = CountingStore::default();
    let s = store.clone();
    let (server, _dev) = serve_dev(move |dev, base| {
        Auth.builder(dev.client())
            .public_url(base.parse().unwrap())
            .session_store(s)
            .install(routes())
    })
    .await;
    let base = &server.base;
    let reset = || {
        store.loads.store(0, Ordering::SeqCst);
        store.writes.store(0, Ordering::SeqCst);
    };

    // Anonymous and skipped requests: no store access, no cookie set.
    let anon = Browser::new();
    reset();
    let page = anon.get(&format!("{base}/")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = anon.get(&format!("{base}/public")).await;
    assert_eq!(page.body, "public");
    assert!(page.headers.get("set-cookie").is_none());
    assert_eq!(store.loads.load(Ordering::SeqCst), 0);

    let b = Browser::new();
    b.dev_login(base, "ada").await;
    b.get(&format!("{base}/")).await; // the first request after login slides the expiry
    // A skipped path with a session cookie: still no store access.
    reset();
    assert_eq!(b.get(&format!("{base}/public")).await.body, "public");
    assert_eq!(store.loads.load(Ordering::SeqCst), 0);

    // A logged-in request: one load (the session), no write, and the session holds no tokens.
    reset();
    assert!(
        b.get(&format!("{base}/"))
            .await
            .body
            .starts_with("hello dev:dev-")
    );
    assert_eq!(store.loads.load(Ordering::SeqCst), 1);
    assert_eq!(store.writes.load(Ordering::SeqCst), 0);
    let record = store.last.lock().unwrap().clone().unwrap();
    let size = serde_json::to_vec(&record.data).unwrap().len();
    assert!(size < 256, "{size} bytes: {:?}", record.data);
    let text = serde_json::to_string(&record.data).unwrap();
    assert!(
        !text.contains("access_token") && !text.contains("eyJ"),
        "{text}"
    );

    // The tokens are read only when a handler asks for them.
    reset();
    assert_eq!(b.get(&format!("{base}/provider")).await.body, "dev");
    assert_eq!(store.loads.load(Ordering::SeqCst), 1);
    reset();
    assert_eq!(
        b.get(&format!("{base}/refresh")).await.status,
        StatusCode::OK
    );
    assert!(
        store.loads.load(Ordering::SeqCst) >= 2,
        "session, then the token record"
    );

    // Logout deletes the token record with the session.
    // The library's stamp in the session: "<seen> <token record id> <provider>".
    let stamp = record.data["oauth"].as_str().expect("the stamp");
    let tokens_id: Id = stamp.split(' ').nth(1).unwrap().parse().unwrap();
    let tokens = store
        .inner
        .load(&tokens_id)
        .await
        .unwrap()
        .expect("the token record");
    let tokens_size = serde_json::to_vec(&tokens.data).unwrap().len();
    println!("one login: session record {size} bytes, token record {tokens_size} bytes (JSON)");
    assert!(tokens_size > size, "the tokens are the bulk, kept apart");
    b.post(&format!("{base}/logout")).await;
    assert!(store.inner.load(&tokens_id).await.unwrap().is_none());
    assert_eq!(
        b.get(&format!("{base}/")).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn public_paths_serve_everyone_with_the_session_and_skip_paths_without() {
    let server = start(ONE_PROVIDER).await;
    let base = &server.base;
    let b = Browser::new();

    // Anonymous: the public page answers, and its login link started a pending login in a new
    // session (so the cookie is set).
    let page = b.get(&format!("{base}/welcome")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.starts_with("welcome; log in at "),
        "{}",
        page.body
    );
    assert!(page.headers.get("set-cookie").is_some());
    // A skipped path answers without touching the session.
    assert_eq!(b.get(&format!("{base}/public")).await.body, "public");

    b.dev_login(base, "ada").await;
    let page = b.get(&format!("{base}/welcome")).await;
    assert!(
        page.body.starts_with("welcome back dev:dev-"),
        "{}",
        page.body
    );

    // After logout the public page is anonymous again, not a redirect.
    b.post(&format!("{base}/logout")).await;
    let page = b.get(&format!("{base}/welcome")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.starts_with("welcome; log in at "));
}
