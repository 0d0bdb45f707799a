//! End-to-end login flows against the embedded development provider, over real HTTP on
//! 127.0.0.1: login link -> provider -> callback -> protected page -> logout.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::response::{Html, IntoResponse, Redirect};
use axum::routing::get;
use axum_oauth_login::dev::DevProvider;
use axum_oauth_login::prelude::*;
use common::{Browser, login_page, serve};
use reqwest::StatusCode;

#[oauth(provider = "dev", skip = ["/public", r"/assets/.*"], public = ["/login-state"])]
struct Auth {
    /// User names that `check_invalid` bans.
    banned: Vec<String>,
    /// How many times `get_auth` ran.
    calls: Arc<AtomicUsize>,
}

#[get_auth]
async fn get_auth(
    oauth: &Auth,
    info: &UserInfo,
    session: &Session,
    state: Option<&str>,
) -> Option<Redirect> {
    oauth.calls.fetch_add(1, Ordering::SeqCst);
    if info.username.as_deref() == Some("mallory") {
        return None;
    }
    session.insert("email", info.email.clone()).await.ok()?;
    session
        .insert("username", info.username.clone())
        .await
        .ok()?;
    session.insert("state", state).await.ok()?;
    Some(Redirect::to("/"))
}

#[check_invalid]
async fn check_invalid(
    oauth: &Auth,
    session: &Session,
    auth: &str,
    req: &http::request::Parts,
) -> Option<impl IntoResponse> {
    let (provider, id) = auth.split_once(':').expect("a qualified ident");
    assert!(provider.starts_with("dev") && id.starts_with("dev-") && req.uri.path() != "/public");
    let username: Option<String> = session.get("username").await.ok().flatten();
    oauth
        .banned
        .iter()
        .any(|b| Some(b) == username.as_ref())
        .then_some((StatusCode::FORBIDDEN, "banned"))
}

async fn home(Ident(auth): Ident, session: Session) -> Html<String> {
    let email: Option<String> = session.get("email").await.unwrap().flatten();
    let state: Option<String> = session.get("state").await.unwrap().flatten();
    Html(format!(
        "Logged in as {auth} <{}> state={state:?}",
        email.unwrap_or_default()
    ))
}

async fn login_with_state(login: Login) -> Result<Html<String>, Error> {
    let href = login
        .link_with_state("current_prompt: add a unicorn")
        .await?;
    Ok(Html(format!(
        r#"<a href="{}">Log in</a>"#,
        html_escape::encode_double_quoted_attribute(&href)
    )))
}

async fn app(base: String, banned: Vec<String>, calls: Arc<AtomicUsize>) -> GuardedApp {
    let dev = DevProvider::new(&base).unwrap();
    let router = Router::new()
        .route("/", get(home))
        .route(
            "/private",
            get(|Ident(a): Ident| async move { format!("private for {a}") }),
        )
        .route("/public", get(|| async { "public" }))
        .route("/assets/app.css", get(|| async { "css" }))
        .route("/login", get(login_page))
        .route("/login-state", get(login_with_state))
        .route(
            "/error",
            get(|q: axum::extract::RawQuery| async move {
                format!("error {}", q.0.unwrap_or_default())
            }),
        );
    Auth { banned, calls }
        .builder(dev.client())
        .public_url(base.parse().unwrap())
        .install(router)
}

async fn start() -> (common::Server, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    (
        serve(|base| app(base, vec!["banned".into()], c)).await,
        calls,
    )
}

#[tokio::test]
async fn full_login_and_logout() {
    let (server, calls) = start().await;
    let b = Browser::new();
    let base = &server.base;

    let anon = b.get(&format!("{base}/")).await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    assert_eq!(anon.location.as_deref(), Some("/login"));

    let done = b.dev_login(base, "ada").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    let home = b.get(&format!("{base}/")).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.body.starts_with("Logged in as dev:dev-"),
        "{}",
        home.body
    );
    assert!(home.body.contains("<ada@example.com>"), "{}", home.body);
    assert!(home.body.contains("state=None"), "{}", home.body);

    let out = b
        .get_with(
            &format!("{base}/logout"),
            &[("sec-fetch-site", "same-origin")],
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location.as_deref(), Some("/login"));
    let after = b.get(&format!("{base}/")).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn copied_cookie_stops_working_after_logout() {
    let (server, _) = start().await;
    let base = &server.base;
    let b = Browser::new();
    b.dev_login(base, "ada").await;
    let stolen = b.cookie_header(base).expect("a session cookie");
    let thief = common::http_client()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let with_stolen = || {
        thief
            .get(format!("{base}/private"))
            .header("cookie", &stolen)
            .send()
    };
    assert_eq!(with_stolen().await.unwrap().status(), StatusCode::OK);
    b.post(&format!("{base}/logout")).await;
    // The record is gone server-side: the copied cookie no longer logs anyone in (a script, not
    // a page navigation: the 401).
    assert_eq!(
        with_stolen().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn session_id_is_cycled_at_login() {
    let (server, _) = start().await;
    let base = &server.base;
    let b = Browser::new();
    b.get(&format!("{base}/login")).await;
    let before = b
        .cookie_header(base)
        .expect("the login link starts a session");
    b.dev_login(base, "ada").await;
    let after = b.cookie_header(base).unwrap();
    assert_ne!(
        before, after,
        "session fixation: the id must change at login"
    );
    let thief = common::http_client()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let old = thief
        .get(format!("{base}/private"))
        .header("cookie", &before)
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn replayed_and_forged_callbacks_are_refused() {
    let (server, calls) = start().await;
    let base = &server.base;
    let b = Browser::new();
    let callback = b.dev_authorize(base, "/login", "ada").await;
    assert_eq!(b.get(&callback).await.location.as_deref(), Some("/"));

    // The same callback again: the state was single-use.
    let again = b.get(&callback).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(
        again.location.as_deref(),
        Some("/error?code=state_mismatch")
    );

    // Another browser that never started a login (login CSRF): refused, not logged in.
    let victim = Browser::new();
    let forged = victim.get(&callback).await;
    assert_eq!(
        forged.location.as_deref(),
        Some("/error?code=state_mismatch")
    );
    assert_eq!(
        victim.get(&format!("{base}/")).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    let garbage = victim
        .get(&format!("{base}/redirect?code=x&state=nope"))
        .await;
    assert_eq!(
        garbage.location.as_deref(),
        Some("/error?code=state_mismatch")
    );
    let empty = victim.get(&format!("{base}/redirect")).await;
    assert_eq!(
        empty.location.as_deref(),
        Some("/error?code=state_mismatch")
    );
}

#[tokio::test]
async fn denied_by_get_auth_goes_back_to_login() {
    let (server, calls) = start().await;
    let b = Browser::new();
    let res = b.dev_login(&server.base, "mallory").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location.as_deref(), Some("/login"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        b.get(&format!("{}/", server.base)).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn state_payload_reaches_get_auth() {
    let (server, _) = start().await;
    let b = Browser::new();
    let callback = b.dev_authorize(&server.base, "/login-state", "ada").await;
    // The provider only ever sees a random state, never the payload.
    assert!(!callback.contains("unicorn"));
    b.get(&callback).await;
    let home = b.get(&format!("{}/", server.base)).await;
    assert!(
        home.body
            .contains(r#"state=Some("current_prompt: add a unicorn")"#),
        "{}",
        home.body
    );
}

#[tokio::test]
async fn next_is_honoured_when_safe_only() {
    let (server, _) = start().await;
    let base = &server.base;
    let b = Browser::new();
    let callback = b
        .dev_authorize(base, "/login?next=/private%3Fx%3D1", "ada")
        .await;
    assert_eq!(
        b.get(&callback).await.location.as_deref(),
        Some("/private?x=1")
    );

    let b = Browser::new();
    let callback = b
        .dev_authorize(base, "/login?next=//evil.example", "ada")
        .await;
    assert_eq!(b.get(&callback).await.location.as_deref(), Some("/"));
}

#[tokio::test]
async fn provider_error_lands_on_the_error_page_with_its_code() {
    let (server, calls) = start().await;
    let b = Browser::new();
    let login = b.get(&format!("{}/login", server.base)).await;
    let link = common::first_href(&login.body).unwrap();
    let state = common::query(&link)["state"].clone();
    let res = b
        .get(&format!(
            "{}/redirect?error=access_denied&state={state}",
            server.base
        ))
        .await;
    assert_eq!(res.location.as_deref(), Some("/error?code=access_denied"));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn guard_skip_anonymous_and_check_invalid() {
    let (server, _) = start().await;
    let base = &server.base;
    let b = Browser::new();
    for public in ["/public", "/assets/app.css", "/login", "/error"] {
        let page = b.get(&format!("{base}{public}")).await;
        assert_eq!(page.status, StatusCode::OK, "{public}");
    }
    // Skipped paths do not touch the session: no cookie is set.
    let public = b.get(&format!("{base}/public")).await;
    assert!(public.headers.get("set-cookie").is_none());

    for (private, login) in [
        ("/", "/login"),
        ("/private", "/login?next=%2Fprivate"),
        ("/nope", "/login?next=%2Fnope"),
        ("/public/x", "/login?next=%2Fpublic%2Fx"),
        ("/assets", "/login?next=%2Fassets"),
    ] {
        let page = b.get(&format!("{base}{private}")).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{private}");
        assert_eq!(page.location.as_deref(), Some(login), "{private}");
    }

    let htmx = b
        .get_with(&format!("{base}/private"), &[("HX-Request", "true")])
        .await;
    assert_eq!(htmx.headers.get("hx-redirect").unwrap(), "/login");

    // `check_invalid` answers for a banned user; others pass.
    let banned = Browser::new();
    banned.dev_login(base, "banned").await;
    let page = banned.get(&format!("{base}/private")).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(page.body, "banned");
    let ok = Browser::new();
    ok.dev_login(base, "ada").await;
    assert_eq!(
        ok.get(&format!("{base}/private")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn sessions_are_per_user() {
    let (server, _) = start().await;
    let base = &server.base;
    let (ada, bob) = (Browser::new(), Browser::new());
    ada.dev_login(base, "ada").await;
    bob.dev_login(base, "bob").await;
    let a = ada.get(&format!("{base}/")).await.body;
    let b = bob.get(&format!("{base}/")).await.body;
    assert!(a.contains("<ada@example.com>") && b.contains("<bob@example.com>"));
    assert_ne!(a.split(' ').nth(3), b.split(' ').nth(3));
}

#[tokio::test]
async fn tokens_refresh_revoke_and_provider_logout() {
    let server = serve(|base| async move {
        let dev = DevProvider::new(&base).unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let router = Router::new()
            .route("/login", get(login_page))
            .route(
                "/refresh",
                get(|t: UserTokens| async move {
                    let before = t.get().await?;
                    let after = t.refresh().await?;
                    assert_eq!(t.get().await?, after, "the session keeps the new tokens");
                    Ok::<_, Error>(format!(
                        "{}",
                        before.access_token() != after.access_token()
                            && before.refresh_token() != after.refresh_token()
                    ))
                }),
            )
            .route(
                "/revoke",
                get(|t: UserTokens| async move {
                    t.revoke().await?;
                    Ok::<_, Error>(format!("{}", t.get().await.is_err()))
                }),
            );
        Auth {
            banned: vec![],
            calls,
        }
        .builder(dev.client())
        .public_url(base.parse().unwrap())
        .provider_logout(true)
        .install(router)
    })
    .await;
    let base = &server.base;
    let b = Browser::new();
    b.dev_login(base, "ada").await;
    assert_eq!(b.get(&format!("{base}/refresh")).await.body, "true");
    assert_eq!(b.get(&format!("{base}/revoke")).await.body, "true");
    let no_tokens = b.get(&format!("{base}/refresh")).await;
    assert_eq!(no_tokens.status, StatusCode::BAD_REQUEST);
    assert!(no_tokens.body.contains("no_tokens"));

    // RP-initiated logout: local session gone, then the provider's end-session endpoint,
    // which sends the browser back to the login page.
    let b = Browser::new();
    b.dev_login(base, "ada").await;
    let out = b.post(&format!("{base}/logout")).await;
    let end_session = out.location.expect("a redirect to the provider");
    assert!(
        end_session.starts_with(&format!("{base}/_dev/oauth/logout?")),
        "{end_session}"
    );
    let q = common::query(&end_session);
    assert!(q.contains_key("id_token_hint"));
    assert_eq!(q["post_logout_redirect_uri"], format!("{base}/logout"));
    assert_eq!(
        b.get(&format!("{base}/private")).await.status,
        StatusCode::SEE_OTHER
    );
    // Back at the logout path with the state (tests/rp_logout.rs checks it), then the login page.
    let back = b.get(&end_session).await.location.expect("back to the app");
    assert!(back.starts_with(&format!("{base}/logout?state=")), "{back}");
    assert_eq!(b.get(&back).await.location.as_deref(), Some("/login"));
}

// ---------------------------------------------------------------------------------------------
// Deep links: an anonymous visit to a page comes back to it after the login.

/// A login at `login_location` (the guard's 303 target) through the development provider; the
/// app's answer to the callback.
async fn log_in_from(b: &Browser, base: &str, login_location: &str) -> common::Page {
    let callback = b.dev_authorize(base, login_location, "ada").await;
    b.get(&callback).await
}

#[tokio::test]
async fn a_deep_link_lands_on_its_page_after_login() {
    let (server, _) = start().await;
    let base = &server.base;
    let b = Browser::new();
    let target = "/private?tab=2&q=a%20b+c&empty=";

    let anon = b.get(&format!("{base}{target}")).await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    let login = anon.location.unwrap();
    assert_eq!(
        login,
        "/login?next=%2Fprivate%3Ftab%3D2%26q%3Da%2520b%2Bc%26empty%3D"
    );
    // The login page itself opened a session (a pending login): still a deep link.
    b.get(&format!("{base}/login")).await;
    let again = b.get(&format!("{base}{target}")).await;
    assert_eq!(again.location.as_deref(), Some(login.as_str()));

    let done = log_in_from(&b, base, &login).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some(target));
    let page = b.get(&format!("{base}{target}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.starts_with("private for dev:dev-"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn the_home_page_and_unsafe_targets_keep_get_auths_redirect() {
    let (server, _) = start().await;
    let base = &server.base;
    let b = Browser::new();
    // `/` carries no `next`: `get_auth`'s own redirect decides.
    let anon = b.get(&format!("{base}/")).await;
    assert_eq!(anon.location.as_deref(), Some("/login"));
    // A hand-made login link with an off-site target is ignored.
    let done = log_in_from(&b, base, "/login?next=%2F%2Fevil.example%2Fx").await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
}

#[oauth(provider = "dev", login = "/signin")]
struct Signin;

#[get_auth(Signin)]
fn signin_get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

#[tokio::test]
async fn a_deep_link_comes_back_through_a_custom_login_page() {
    let server = serve(|base| async move {
        let dev = DevProvider::new(&base).unwrap();
        let router = Router::new()
            .route("/", get(|| async { "home" }))
            .route(
                "/reports/{id}",
                get(|Ident(a): Ident| async move { format!("report for {a}") }),
            )
            .route("/signin", get(login_page));
        Signin
            .builder(dev.client())
            .public_url(base.parse().unwrap())
            .install(router)
    })
    .await;
    let base = &server.base;
    let b = Browser::new();
    let anon = b.get(&format!("{base}/reports/7?format=wide")).await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    let login = anon.location.unwrap();
    assert_eq!(login, "/signin?next=%2Freports%2F7%3Fformat%3Dwide");
    let done = log_in_from(&b, base, &login).await;
    assert_eq!(done.location.as_deref(), Some("/reports/7?format=wide"));
    let page = b.get(&format!("{base}/reports/7?format=wide")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.starts_with("report for dev:dev-"),
        "{}",
        page.body
    );
}

// ---------------------------------------------------------------------------------------------
// A failed or cancelled login never ends on a 404.

#[tokio::test]
async fn a_cancelled_login_ends_on_the_librarys_error_page_when_the_app_has_none() {
    let server = serve(|base| async move {
        let dev = DevProvider::new(&base).unwrap();
        let router = Router::new()
            .route("/", get(home))
            .route("/login", get(login_page));
        Signin
            .builder(dev.client())
            .public_url(base.parse().unwrap())
            .install(router.route("/signin", get(login_page)))
    })
    .await;
    let base = &server.base;
    let b = Browser::new();
    let (url, page) = b.cancel_login(base, "/signin").await;
    assert_eq!(url, format!("{base}/error?code=access_denied"));
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("The login was cancelled."),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<code>access_denied</code>"),
        "{}",
        page.body
    );
    // The link back goes to this app's login page.
    assert_eq!(common::first_href(&page.body).as_deref(), Some("/signin"));
    assert_eq!(page.headers["cache-control"], "no-store");

    // A login for a deep link, cancelled: trying again is for that same page.
    let (url, page) = b
        .cancel_login(base, "/signin?next=%2Fprivate%3Ftab%3D2")
        .await;
    assert_eq!(
        url,
        format!("{base}/error?code=access_denied&next=%2Fprivate%3Ftab%3D2")
    );
    assert_eq!(
        common::first_href(&page.body).as_deref(),
        Some("/signin?next=%2Fprivate%3Ftab%3D2")
    );
    // Another site's target in the error page's query is not linked.
    let forged = b
        .get(&format!(
            "{base}/error?code=access_denied&next=%2F%2Fevil.example"
        ))
        .await;
    assert_eq!(common::first_href(&forged.body).as_deref(), Some("/signin"));

    // Whatever the query says, it is text on the page.
    let forged = b
        .get(&format!(
            "{base}/error?code=%3Cscript%3Ealert(1)%3C/script%3E"
        ))
        .await;
    assert_eq!(forged.status, StatusCode::OK);
    assert!(!forged.body.contains("<script>"), "{}", forged.body);
    assert!(forged.body.contains("&lt;script&gt;"), "{}", forged.body);
    assert!(
        forged.body.contains("The login did not succeed."),
        "{}",
        forged.body
    );
    // And the path beside it is the app's, guarded as ever.
    assert_eq!(
        b.get(&format!("{base}/error/x")).await.location.as_deref(),
        Some("/signin?next=%2Ferror%2Fx")
    );
}

#[tokio::test]
async fn the_apps_own_error_route_wins() {
    let (server, _) = start().await;
    let base = &server.base;
    let (url, page) = Browser::new().cancel_login(base, "/login").await;
    assert_eq!(url, format!("{base}/error?code=access_denied"));
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body, "error code=access_denied");
}

/// What the app keeps by ident, outside the session: one note per user.
type Notes = Arc<Mutex<HashMap<String, String>>>;

/// `GET /note` shows the user's note, `GET /note?set=TEXT` replaces it; keyed by the ident's
/// string form, as an app keys its database rows.
async fn note(notes: Notes, ident: Ident, query: Option<String>) -> String {
    let mut notes = notes.lock().unwrap();
    if let Some(text) = query.as_deref().and_then(|q| q.strip_prefix("set=")) {
        notes.insert(ident.to_string(), text.to_owned());
    }
    let note = notes.get(ident.as_str()).cloned().unwrap_or_default();
    format!("{} {} {note}", ident.provider(), ident.id())
}

#[tokio::test]
async fn the_same_subject_at_two_providers_is_two_users_with_separate_data() {
    let notes = Notes::default();
    let n = notes.clone();
    let server = serve(|base| async move {
        let dev = DevProvider::new(&base).unwrap();
        // A second provider that gives the same `sub` for the same login: the development
        // provider again, under another name.
        let dev2 = dev.client().with_provider(|p| p.name = "dev2");
        let router = Router::new()
            .route("/", get(home))
            .route(
                "/login",
                get(|login: Login, query: axum::extract::RawQuery| async move {
                    // `/login?with=dev2`: the second provider's link.
                    let login = match query.0.as_deref() {
                        Some("with=dev2") => login.provider("dev2").expect("dev2"),
                        _ => login,
                    };
                    let href = login.link().await?;
                    Ok::<_, Error>(Html(format!(r#"<a href="{href}">Log in</a>"#)))
                }),
            )
            .route(
                "/note",
                get(move |ident: Ident, axum::extract::RawQuery(query)| {
                    note(n.clone(), ident, query)
                }),
            );
        Auth {
            banned: Vec::new(),
            calls: Arc::default(),
        }
        .builder(dev.client())
        .add_provider(dev2)
        .public_url(base.parse().unwrap())
        .install(router)
    })
    .await;
    let base = &server.base;

    let (at_dev, at_dev2) = (Browser::new(), Browser::new());
    at_dev.dev_login(base, "ada").await;
    let callback = at_dev2.dev_authorize(base, "/login?with=dev2", "ada").await;
    assert!(
        callback.starts_with(&format!("{base}/redirect/dev2?")),
        "{callback}"
    );
    at_dev2.get(&callback).await;

    // One `sub`, two idents: each login sees its own, with its provider.
    let who = |page: String| page.split(' ').nth(3).unwrap().to_owned();
    let one = who(at_dev.get(&format!("{base}/")).await.body);
    let two = who(at_dev2.get(&format!("{base}/")).await.body);
    let (sub_one, sub_two) = (one.strip_prefix("dev:"), two.strip_prefix("dev2:"));
    assert!(sub_one.is_some_and(|s| s.starts_with("dev-")), "{one}");
    assert_eq!(sub_one, sub_two, "the same subject at both providers");
    assert_ne!(one, two);

    // The data kept by ident stays with its user.
    let sub = sub_one.unwrap();
    let at = |b: &Browser, q: &'static str| {
        let (b, url) = (b.clone(), format!("{base}/note{q}"));
        async move { b.get(&url).await.body }
    };
    assert_eq!(at(&at_dev, "?set=mine").await, format!("dev {sub} mine"));
    assert_eq!(at(&at_dev2, "").await, format!("dev2 {sub} "));
    assert_eq!(
        at(&at_dev2, "?set=theirs").await,
        format!("dev2 {sub} theirs")
    );
    assert_eq!(at(&at_dev, "").await, format!("dev {sub} mine"));
    assert_eq!(notes.lock().unwrap().len(), 2);
}
