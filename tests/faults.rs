//! Full-app logins through the development provider, over real HTTP on 127.0.0.1, with the
//! provider misbehaving in each named way ([`Fault`]): every refused login ends in a 303 to
//! `/error?code=<stable code>` (never a 500, never a hang), `get_auth` is never asked, and the
//! browser is not logged in afterwards. Also: key rotation between two logins, and the RFC 9207
//! `iss` parameter of the authorization response.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use axum_oauth_login::Client;
use axum_oauth_login::dev::{DevProvider, Fault, SigningAlg};
use axum_oauth_login::prelude::*;
use common::{Browser, Page, Server, login_page};
use reqwest::StatusCode;

#[oauth(provider = "dev", skip = ["/public"])]
struct Auth {
    /// How many times `get_auth` ran: a refused login must never reach it.
    calls: Arc<AtomicUsize>,
}

#[get_auth]
fn get_auth(oauth: &Auth, info: &UserInfo) -> Option<Redirect> {
    oauth.calls.fetch_add(1, Ordering::SeqCst);
    info.email_verified.then(|| Redirect::to("/"))
}

fn routes() -> Router {
    common::hello_routes()
        .route("/login", get(login_page))
        .route(
            "/error",
            get(|q: axum::extract::RawQuery| async move {
                format!("error {}", q.0.unwrap_or_default())
            }),
        )
}

struct App {
    server: Server,
    dev: DevProvider,
    calls: Arc<AtomicUsize>,
}

impl App {
    fn base(&self) -> &str {
        &self.server.base
    }

    /// Not logged in: the protected page sends this browser to the login page.
    async fn assert_logged_out(&self, b: &Browser) {
        let home = b.get(&format!("{}/", self.base())).await;
        assert_eq!(
            home.status,
            StatusCode::SEE_OTHER,
            "still logged in: {}",
            home.body
        );
        assert_eq!(home.location.as_deref(), Some("/login"));
    }

    /// Logged in: the protected page greets the user.
    async fn assert_logged_in(&self, b: &Browser) {
        let home = b.get(&format!("{}/", self.base())).await;
        assert_eq!(home.status, StatusCode::OK, "not logged in: {}", home.body);
        assert!(home.body.starts_with("hello dev:dev-"), "{}", home.body);
    }
}

async fn start() -> App {
    start_signing(SigningAlg::ES256).await
}

/// An app whose development provider signs with `alg`.
async fn start_signing(alg: SigningAlg) -> App {
    start_custom(alg, |client| client).await
}

/// An app whose development provider signs with `alg`, with its client changed by `edit`.
async fn start_custom(alg: SigningAlg, edit: fn(Client) -> Client) -> App {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let mut made = None;
    let server = common::serve(|base| {
        let dev = DevProvider::builder(&base)
            .signing_alg(alg)
            .build()
            .unwrap();
        made = Some(dev.clone());
        std::future::ready(
            Auth { calls: c }
                .builder(edit(dev.client()))
                .public_url(base.parse().unwrap())
                .install(routes()),
        )
    })
    .await;
    let dev = made.expect("the provider");
    App { server, dev, calls }
}

/// GET `url`, failing the test instead of hanging.
async fn get_within(b: &Browser, url: &str, limit: Duration) -> Page {
    tokio::time::timeout(limit, b.get(url))
        .await
        .unwrap_or_else(|_| panic!("no answer within {limit:?}: {url}"))
}

/// Logs in as `name` at the provider without the fault, sets `fault` just before the callback,
/// follows the callback, and asserts the refusal: a 303 to `/error?code=<code>`, `get_auth`
/// not asked, the browser not logged in, and the app still working for the next login.
async fn refused_at_callback(fault: Fault, code: &str) {
    refused_by(start().await, fault, code).await;
}

/// [`refused_at_callback`] on `app`.
async fn refused_by(app: App, fault: Fault, code: &str) {
    let b = Browser::new();
    let callback = b.dev_authorize(app.base(), "/login", "ada").await;
    app.dev.set_fault(Some(fault));
    let res = get_within(&b, &callback, Duration::from_secs(30)).await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{fault:?}: {} {}",
        res.status,
        res.body
    );
    let expected = format!("/error?code={code}");
    assert_eq!(
        res.location.as_deref(),
        Some(expected.as_str()),
        "{fault:?}"
    );
    assert!(
        !res.body.contains("raw provider body"),
        "{fault:?}: the provider's body leaked"
    );
    assert_eq!(
        app.calls.load(Ordering::SeqCst),
        0,
        "{fault:?}: get_auth ran"
    );
    app.assert_logged_out(&b).await;
    // The error page itself is public and shows the code.
    let page = b.get(&format!("{}{expected}", app.base())).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(code), "{}", page.body);
    // The same callback again: its state was used up by the failed attempt.
    app.dev.set_fault(None);
    let again = get_within(&b, &callback, Duration::from_secs(30)).await;
    assert_eq!(
        again.location.as_deref(),
        Some("/error?code=state_mismatch"),
        "{fault:?}"
    );
    app.assert_logged_out(&b).await;
    // Without the fault the same app and browser log in.
    let ok = tokio::time::timeout(Duration::from_secs(30), b.dev_login(app.base(), "ada"))
        .await
        .expect("the login after the fault hung");
    assert_eq!(ok.location.as_deref(), Some("/"), "{fault:?}: {}", ok.body);
    app.assert_logged_in(&b).await;
    assert_eq!(app.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn bad_signature_is_refused() {
    refused_at_callback(Fault::BadSignature, "id_token").await;
}

/// `oidcc-client-test-invalid-sig-rs256`.
#[tokio::test]
async fn bad_rs256_signature_is_refused() {
    refused_by(
        start_signing(SigningAlg::RS256).await,
        Fault::BadSignature,
        "id_token",
    )
    .await;
}

/// `oidcc-client-test-idtoken-sig-rs256`: a provider that signs RS256 (the published key is an RSA
/// JWK, discovery says RS256).
#[tokio::test]
async fn rs256_id_tokens_log_in() {
    let app = start_signing(SigningAlg::RS256).await;
    let discovery: serde_json::Value = common::get(format!(
        "{}/.well-known/openid-configuration",
        app.dev.issuer()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
    let keys: serde_json::Value = common::get(discovery["jwks_uri"].as_str().unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(keys["keys"][0]["kty"], "RSA", "{keys}");
    let b = Browser::new();
    let done = b.dev_login(app.base(), "ada").await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    app.assert_logged_in(&b).await;
    // A rotated key is RSA too (its new `kid` makes the client fetch the keys again).
    app.dev.rotate_key().unwrap();
    let b = Browser::new();
    let done = b.dev_login(app.base(), "bob").await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
}

#[tokio::test]
async fn alg_none_is_refused() {
    refused_at_callback(Fault::AlgNone, "id_token").await;
}

/// `oidcc-client-test-idtoken-sig-none` for a client registered with
/// `id_token_signed_response_alg=none`: accepted only with the explicit opt-in, and the opt-in
/// does not weaken the other checks.
#[tokio::test]
async fn alg_none_is_accepted_by_a_client_registered_for_it() {
    let app = start_custom(SigningAlg::ES256, Client::allow_unsigned_id_tokens).await;
    accepted_at_callback(&app, Fault::AlgNone).await;
    let app = start_custom(SigningAlg::ES256, Client::allow_unsigned_id_tokens).await;
    refused_by(app, Fault::BadSignature, "id_token").await;
}

#[tokio::test]
async fn wrong_audience_is_refused() {
    refused_at_callback(Fault::WrongAudience, "id_token").await;
}

#[tokio::test]
async fn wrong_issuer_in_the_id_token_is_refused() {
    refused_at_callback(Fault::WrongIssuer, "id_token").await;
}

#[tokio::test]
async fn expired_id_token_is_refused() {
    refused_at_callback(Fault::ExpiredIdToken, "id_token").await;
}

#[tokio::test]
async fn wrong_nonce_is_refused() {
    refused_at_callback(Fault::WrongNonce, "id_token").await;
}

#[tokio::test]
async fn unknown_kid_is_refused() {
    refused_at_callback(Fault::UnknownKid, "id_token").await;
}

#[tokio::test]
async fn missing_sub_is_refused() {
    refused_at_callback(Fault::MissingSub, "id_token").await;
}

#[tokio::test]
async fn missing_iat_is_refused() {
    refused_at_callback(Fault::MissingIat, "id_token").await;
}

/// Logs in with `fault` set just before the callback, and asserts the login succeeds.
async fn accepted_at_callback(app: &App, fault: Fault) {
    let b = Browser::new();
    let callback = b.dev_authorize(app.base(), "/login", "ada").await;
    app.dev.set_fault(Some(fault));
    let res = get_within(&b, &callback, Duration::from_secs(30)).await;
    app.dev.set_fault(None);
    assert_eq!(
        res.location.as_deref(),
        Some("/"),
        "{fault:?}: {}",
        res.body
    );
    app.assert_logged_in(&b).await;
}

#[tokio::test]
async fn kid_absent_with_one_published_key_logs_in() {
    let app = start().await;
    accepted_at_callback(&app, Fault::KidAbsent).await;
}

#[tokio::test]
async fn kid_absent_with_several_published_keys_logs_in() {
    // After a rotation the JWKS publishes the new key and the previous one; a token without
    // `kid` is checked against each key of its algorithm (the conformance suite allows a refusal
    // too; trying the keys is what certified clients do).
    let app = start().await;
    app.dev.rotate_key().unwrap();
    accepted_at_callback(&app, Fault::KidAbsent).await;
}

/// A token without `kid` signed by a key the client has not cached (the provider rotated twice
/// since the client fetched its keys): no cached key verifies it, so the client fetches the keys
/// once more (within the unknown-`kid` cooldown) and the new key does.
#[tokio::test]
async fn kid_absent_after_a_rotation_the_client_has_not_seen_logs_in() {
    let app = start().await;
    let first = Browser::new();
    assert_eq!(
        first.dev_login(app.base(), "ada").await.location.as_deref(),
        Some("/")
    );
    app.dev.rotate_key().unwrap();
    app.dev.rotate_key().unwrap();
    accepted_at_callback(&app, Fault::KidAbsent).await;
}

#[tokio::test]
async fn userinfo_sub_mismatch_is_refused() {
    refused_at_callback(Fault::UserinfoSubMismatch, "user_info").await;
}

#[tokio::test]
async fn token_endpoint_500_is_refused() {
    refused_at_callback(Fault::TokenEndpoint500, "token_exchange").await;
}

#[tokio::test]
async fn token_endpoint_garbage_is_refused() {
    refused_at_callback(Fault::TokenEndpointGarbage, "token_exchange").await;
}

#[tokio::test]
async fn token_endpoint_huge_is_refused() {
    // The 10 MiB answer is over the client's 1 MiB cap: not read, a network error.
    refused_at_callback(Fault::TokenEndpointHuge, "network").await;
}

#[tokio::test]
async fn token_endpoint_redirect_is_not_followed() {
    // Following the 307 would log in; the client never follows redirects.
    refused_at_callback(Fault::TokenEndpointRedirect, "token_exchange").await;
}

#[tokio::test]
async fn token_endpoint_slower_than_the_client_timeout_is_a_network_error() {
    // The provider HTTP client's total timeout is 10 s (oauth-runtime/src/http.rs).
    let started = Instant::now();
    refused_at_callback(Fault::TokenEndpointSlow(Duration::from_secs(13)), "network").await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(9),
        "the timeout fired early: {took:?}"
    );
}

#[tokio::test]
async fn token_endpoint_slow_within_the_timeout_still_logs_in() {
    let app = start().await;
    let b = Browser::new();
    let callback = b.dev_authorize(app.base(), "/login", "ada").await;
    app.dev
        .set_fault(Some(Fault::TokenEndpointSlow(Duration::from_secs(2))));
    let started = Instant::now();
    let res = get_within(&b, &callback, Duration::from_secs(30)).await;
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location.as_deref(), Some("/"));
    app.assert_logged_in(&b).await;
}

#[tokio::test]
async fn access_denied_at_the_provider_lands_on_the_error_page() {
    let app = start().await;
    app.dev.set_fault(Some(Fault::AccessDenied));
    let b = Browser::new();
    let login = b.get(&format!("{}/login", app.base())).await;
    let link = common::first_href(&login.body).unwrap();
    // The provider does not even show its page: straight back with `error=access_denied`.
    let denied = get_within(&b, &link, Duration::from_secs(10)).await;
    assert_eq!(denied.status, StatusCode::SEE_OTHER, "{}", denied.body);
    let callback = denied.location.unwrap();
    assert!(
        callback.starts_with(&format!("{}/redirect?", app.base())),
        "{callback}"
    );
    assert_eq!(
        common::query(&callback).get("error").map(String::as_str),
        Some("access_denied")
    );
    let res = get_within(&b, &callback, Duration::from_secs(10)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location.as_deref(), Some("/error?code=access_denied"));
    assert_eq!(app.calls.load(Ordering::SeqCst), 0);
    app.assert_logged_out(&b).await;
}

#[tokio::test]
async fn access_denied_after_the_login_page_lands_on_the_error_page() {
    // The user saw the login page; the provider refuses when the form is posted.
    let app = start().await;
    let b = Browser::new();
    let login = b.get(&format!("{}/login", app.base())).await;
    let link = common::first_href(&login.body).unwrap();
    let page = b.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    let (action, mut fields) = common::parse_form(&page.body, &link);
    fields.retain(|(k, _)| k != "login" && k != "action");
    fields.push(("login".into(), "ada".into()));
    fields.push(("action".into(), "allow".into()));
    app.dev.set_fault(Some(Fault::AccessDenied));
    let back = b.post_form(&action, &fields).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    let callback = back.location.unwrap();
    assert!(
        !common::query(&callback).contains_key("code"),
        "no code is issued: {callback}"
    );
    let res = get_within(&b, &callback, Duration::from_secs(10)).await;
    assert_eq!(res.location.as_deref(), Some("/error?code=access_denied"));
    assert_eq!(app.calls.load(Ordering::SeqCst), 0);
    app.assert_logged_out(&b).await;
}

/// Two logins with a key rotation in between: the second ID token is signed by a key the client
/// has not seen, and the client must refetch the JWKS (openidconnect-rs #232 is the bug to
/// avoid). Nothing but the rotation happens between the two logins.
#[tokio::test]
async fn key_rotation_between_two_logins_still_logs_in() {
    let app = start().await;
    let first = Browser::new();
    assert_eq!(
        first.dev_login(app.base(), "ada").await.location.as_deref(),
        Some("/")
    );
    app.assert_logged_in(&first).await;

    app.dev.rotate_key().unwrap();
    let second = Browser::new();
    let res = tokio::time::timeout(Duration::from_secs(30), second.dev_login(app.base(), "bob"))
        .await
        .expect("hung");
    assert_eq!(
        res.location.as_deref(),
        Some("/"),
        "a login right after the provider rotated its signing key was refused \
         (the JWKS was not refetched for the unknown kid)"
    );
    app.assert_logged_in(&second).await;
    // The first user's session is unaffected.
    app.assert_logged_in(&first).await;
}

/// The same, with the rotation happening after the client's JWKS refetch cooldown (30 s) has
/// passed since its last fetch: the unknown `kid` triggers a refetch and the login succeeds.
/// Two rotations, so that the key the client cached is not even published any more.
#[tokio::test]
async fn key_rotation_after_the_refetch_cooldown_logs_in() {
    let app = start().await;
    let first = Browser::new();
    assert_eq!(
        first.dev_login(app.base(), "ada").await.location.as_deref(),
        Some("/")
    );
    tokio::time::sleep(Duration::from_secs(31)).await;
    app.dev.rotate_key().unwrap();
    app.dev.rotate_key().unwrap();
    let second = Browser::new();
    let res = tokio::time::timeout(Duration::from_secs(30), second.dev_login(app.base(), "bob"))
        .await
        .expect("hung");
    assert_eq!(res.location.as_deref(), Some("/"), "{}", res.body);
    app.assert_logged_in(&second).await;
    // And a third login right after, with the refetched keys cached.
    let third = Browser::new();
    assert_eq!(
        third.dev_login(app.base(), "cy").await.location.as_deref(),
        Some("/")
    );
}

/// How the key proxy of [`app_behind_a_key_proxy`] answers a request.
enum Keys {
    /// With the provider's keys.
    Relay,
    /// Never.
    Hang,
    /// `503 Service Unavailable`.
    Unavailable,
}

/// An app whose client fetches the provider's keys through a proxy that answers its `n`th
/// request (from 0) as `answer(n)` says, with the client changed by `edit`. Also the proxy's
/// request count, and the proxy (serving while it lives).
async fn app_behind_a_key_proxy(
    answer: impl Fn(usize) -> Keys + Clone + Send + Sync + 'static,
    edit: impl FnOnce(Client) -> Client,
) -> (App, Arc<AtomicUsize>, Server) {
    use axum::response::IntoResponse as _;
    let upstream = Arc::new(std::sync::OnceLock::<String>::new());
    let hits = Arc::new(AtomicUsize::new(0));
    let (up, h) = (upstream.clone(), hits.clone());
    let keys = common::serve(|_| async move {
        Router::new().route(
            "/jwks",
            get(move || async move {
                match answer(h.fetch_add(1, Ordering::SeqCst)) {
                    Keys::Hang => std::future::pending().await,
                    Keys::Unavailable => StatusCode::SERVICE_UNAVAILABLE.into_response(),
                    Keys::Relay => {
                        let url = up.get().expect("the app is running");
                        let set = Browser::new().get(url).await.body;
                        ([(reqwest::header::CONTENT_TYPE, "application/json")], set).into_response()
                    }
                }
            }),
        )
    })
    .await;
    let jwks_url = format!("{}/jwks", keys.base);
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let (server, dev) = common::serve_dev(|dev, base| {
        let client = edit(dev.client().with_provider(|p| {
            if let Some(oidc) = p.oidc.as_mut() {
                oidc.jwks_url = jwks_url.parse().unwrap();
            }
        }));
        Auth { calls: c }
            .builder(client)
            .public_url(base.parse().unwrap())
            .install(routes())
    })
    .await;
    upstream.set(format!("{}/jwks", dev.issuer())).unwrap();
    (App { server, dev, calls }, hits, keys)
}

/// Issue 13, item 3. The client's cached keys are past their age and the provider's key endpoint
/// hangs (it answered once, for the first login). The logins must go on with the cached keys
/// while one refresh waits for its HTTP timeout (10 s) in the background: 20 concurrent callbacks
/// all land within about one timeout, not one after the other (20 x 10 s), and the endpoint is
/// asked at most once more.
#[tokio::test]
async fn logins_do_not_queue_behind_a_hung_key_endpoint() {
    // In front of the provider's keys: relays them once, then never answers.
    let (app, hits, _keys) = app_behind_a_key_proxy(
        |n| if n == 0 { Keys::Relay } else { Keys::Hang },
        // Every verification finds the keys stale, as an hour after the first login.
        |client| client.__with_jwks_max_age(Duration::ZERO),
    )
    .await;

    let first = Browser::new();
    let res = get_within(
        &first,
        &first.dev_authorize(app.base(), "/login", "ada").await,
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(res.location.as_deref(), Some("/"), "{}", res.body);
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    let mut ready = Vec::new();
    for i in 0..20 {
        let b = Browser::new();
        let callback = b
            .dev_authorize(app.base(), "/login", &format!("user{i}"))
            .await;
        ready.push((b, callback));
    }
    let started = Instant::now();
    let logins: Vec<_> = ready
        .iter()
        .map(|(b, callback)| {
            let (b, callback) = (b.clone(), callback.clone());
            tokio::spawn(async move { b.get(&callback).await })
        })
        .collect();
    // One HTTP timeout (10 s) and some slack; today's code needs 20 of them.
    let limit = Duration::from_secs(15);
    let results = tokio::time::timeout(limit, async {
        let mut results = Vec::new();
        for login in logins {
            results.push(login.await.unwrap());
        }
        results
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "20 concurrent logins took longer than {limit:?}: they queued behind the key refresh"
        )
    });
    let took = started.elapsed();
    for res in &results {
        assert_eq!(res.location.as_deref(), Some("/"), "{}", res.body);
    }
    for (b, _) in &ready {
        app.assert_logged_in(b).await;
    }
    assert_eq!(app.calls.load(Ordering::SeqCst), 21);
    assert!(
        hits.load(Ordering::SeqCst) <= 2,
        "the key endpoint was asked {} times: more than one refresh at a time",
        hits.load(Ordering::SeqCst)
    );
    eprintln!("20 concurrent logins with a hung key endpoint: {took:?}");
}

/// Cached keys that cannot be refreshed are used for a while, not for ever: past their stale limit
/// (a day by default, 3 s here) a login needs a successful fetch. While the key endpoint keeps
/// failing, the login is refused with `network` and the endpoint is not asked again within the
/// cooldown (30 s); once it answers again, logins work again.
#[tokio::test]
async fn keys_past_their_stale_limit_are_not_used_when_the_key_endpoint_fails() {
    // In front of the provider's keys: relays them while `serving`, answers 503 otherwise.
    let serving = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let on = serving.clone();
    let (app, hits, _keys) = app_behind_a_key_proxy(
        move |_| {
            if on.load(Ordering::SeqCst) {
                Keys::Relay
            } else {
                Keys::Unavailable
            }
        },
        |client| {
            client
                .__with_jwks_max_age(Duration::ZERO)
                .__with_jwks_max_stale(Duration::from_secs(3))
        },
    )
    .await;
    let login = |user: &'static str| {
        let base = app.base().to_owned();
        async move {
            let b = Browser::new();
            let res = tokio::time::timeout(Duration::from_secs(30), b.dev_login(&base, user))
                .await
                .expect("hung");
            (b, res)
        }
    };

    let (first, res) = login("ada").await;
    assert_eq!(res.location.as_deref(), Some("/"), "{}", res.body);
    app.assert_logged_in(&first).await;
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // The endpoint fails from now on. Keys a moment old still verify (their refresh fails in the
    // background).
    serving.store(false, Ordering::SeqCst);
    let (second, res) = login("bob").await;
    assert_eq!(res.location.as_deref(), Some("/"), "{}", res.body);
    app.assert_logged_in(&second).await;
    let waited = Instant::now();
    while hits.load(Ordering::SeqCst) < 2 {
        assert!(
            waited.elapsed() < Duration::from_secs(10),
            "no background refresh"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Past the stale limit: refused, and the endpoint is not asked again within the cooldown.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let (third, res) = login("cy").await;
    assert_eq!(
        res.location.as_deref(),
        Some("/error?code=network"),
        "a login went on with keys past their stale limit: {}",
        res.body
    );
    app.assert_logged_out(&third).await;
    assert_eq!(
        hits.load(Ordering::SeqCst),
        2,
        "asked again within the cooldown"
    );
    // Sessions already logged in are not affected: they hold no ID token to verify.
    app.assert_logged_in(&first).await;

    // The endpoint is back; after the cooldown the next login fetches and goes through.
    serving.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(28)).await;
    let (fourth, res) = login("dee").await;
    assert_eq!(res.location.as_deref(), Some("/"), "{}", res.body);
    app.assert_logged_in(&fourth).await;
    assert_eq!(hits.load(Ordering::SeqCst), 3);
}

/// The callback URL with its `iss` parameter replaced (`Some`) or removed (`None`).
fn with_iss(callback: &str, iss: Option<&str>) -> String {
    let mut url = url::Url::parse(callback).unwrap();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| k != "iss")
        .collect();
    {
        let mut q = url.query_pairs_mut();
        q.clear();
        for (k, v) in &kept {
            q.append_pair(k, v);
        }
        if let Some(iss) = iss {
            q.append_pair("iss", iss);
        }
    }
    url.to_string()
}

#[tokio::test]
async fn callback_with_a_wrong_iss_is_an_issuer_mismatch() {
    let app = start().await;
    let b = Browser::new();
    let callback = b.dev_authorize(app.base(), "/login", "ada").await;
    assert_eq!(
        common::query(&callback).get("iss").map(String::as_str),
        Some(app.dev.issuer())
    );
    for wrong in [
        "https://attacker.example/_dev/oauth".to_owned(),
        format!("{}/", app.dev.issuer()),
        app.dev.issuer().to_uppercase(),
        String::new(),
    ] {
        let b = Browser::new();
        let callback = b.dev_authorize(app.base(), "/login", "ada").await;
        let res = get_within(
            &b,
            &with_iss(&callback, Some(&wrong)),
            Duration::from_secs(10),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "iss={wrong:?}");
        assert_eq!(
            res.location.as_deref(),
            Some("/error?code=issuer_mismatch"),
            "iss={wrong:?}"
        );
        app.assert_logged_out(&b).await;
        // The pending login is used up: the genuine callback cannot be played afterwards.
        let genuine = get_within(&b, &callback, Duration::from_secs(10)).await;
        assert_eq!(
            genuine.location.as_deref(),
            Some("/error?code=state_mismatch"),
            "iss={wrong:?}"
        );
        app.assert_logged_out(&b).await;
    }
    assert_eq!(app.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn callback_with_a_repeated_iss_uses_the_first_and_refuses_a_wrong_one() {
    let app = start().await;
    let b = Browser::new();
    let callback = b.dev_authorize(app.base(), "/login", "ada").await;
    // A wrong `iss` placed before the genuine one.
    let url = format!(
        "{}&iss=https%3A%2F%2Fattacker.example",
        with_iss(&callback, None)
    );
    let url = format!(
        "{url}&iss={}",
        url::form_urlencoded::byte_serialize(app.dev.issuer().as_bytes()).collect::<String>()
    );
    let res = get_within(&b, &url, Duration::from_secs(10)).await;
    assert_eq!(res.location.as_deref(), Some("/error?code=issuer_mismatch"));
    app.assert_logged_out(&b).await;
}

#[tokio::test]
async fn callback_without_iss_is_refused_when_the_provider_advertises_rfc_9207() {
    let app = start().await;
    // The development provider advertises `authorization_response_iss_parameter_supported`.
    let discovery = common::get(format!(
        "{}/.well-known/openid-configuration",
        app.dev.issuer()
    ))
    .await
    .unwrap()
    .json::<serde_json::Value>()
    .await
    .unwrap();
    assert_eq!(
        discovery["authorization_response_iss_parameter_supported"],
        true
    );
    let b = Browser::new();
    let callback = b.dev_authorize(app.base(), "/login", "ada").await;
    let res = get_within(&b, &with_iss(&callback, None), Duration::from_secs(10)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location.as_deref(), Some("/error?code=issuer_mismatch"));
    assert_eq!(app.calls.load(Ordering::SeqCst), 0);
    app.assert_logged_out(&b).await;
}

#[tokio::test]
async fn provider_error_with_a_wrong_iss_is_refused_either_way() {
    // An `error=` response is refused whatever its `iss`: never a login, never a 500.
    let app = start().await;
    app.dev.set_fault(Some(Fault::AccessDenied));
    let b = Browser::new();
    let login = b.get(&format!("{}/login", app.base())).await;
    let link = common::first_href(&login.body).unwrap();
    let callback = b.get(&link).await.location.unwrap();
    let res = get_within(
        &b,
        &with_iss(&callback, Some("https://attacker.example")),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let location = res.location.unwrap();
    assert!(
        location == "/error?code=access_denied" || location == "/error?code=issuer_mismatch",
        "{location}"
    );
    app.assert_logged_out(&b).await;
}

#[tokio::test]
async fn every_fault_cleared_leaves_a_working_app() {
    // One app, one provider, all faults in a row on the same client (shared JWKS cache, shared
    // HTTP pool): each is refused with its code, and the app still logs in at the end.
    let app = start().await;
    let cases = [
        (Fault::BadSignature, "id_token"),
        (Fault::AlgNone, "id_token"),
        (Fault::WrongAudience, "id_token"),
        (Fault::WrongIssuer, "id_token"),
        (Fault::ExpiredIdToken, "id_token"),
        (Fault::WrongNonce, "id_token"),
        (Fault::UnknownKid, "id_token"),
        (Fault::MissingSub, "id_token"),
        (Fault::MissingIat, "id_token"),
        (Fault::UserinfoSubMismatch, "user_info"),
        (Fault::TokenEndpoint500, "token_exchange"),
        (Fault::TokenEndpointGarbage, "token_exchange"),
        (Fault::TokenEndpointHuge, "network"),
        (Fault::TokenEndpointRedirect, "token_exchange"),
    ];
    for (fault, code) in cases {
        app.dev.set_fault(None);
        let b = Browser::new();
        let callback = b.dev_authorize(app.base(), "/login", "ada").await;
        app.dev.set_fault(Some(fault));
        let res = get_within(&b, &callback, Duration::from_secs(30)).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{fault:?}");
        assert_eq!(
            res.location,
            Some(format!("/error?code={code}")),
            "{fault:?}"
        );
        app.dev.set_fault(None);
        app.assert_logged_out(&b).await;
    }
    assert_eq!(app.calls.load(Ordering::SeqCst), 0);
    let b = Browser::new();
    assert_eq!(
        b.dev_login(app.base(), "ada").await.location.as_deref(),
        Some("/")
    );
    app.assert_logged_in(&b).await;
}
