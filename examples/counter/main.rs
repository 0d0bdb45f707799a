//! FastHTML's full app: log in with GitHub, then a per-user counter kept in SQLite.
//!
//! ```sh
//! cargo run --example counter                                   # development provider
//! AUTH_CLIENT_ID=... AUTH_CLIENT_SECRET=... cargo run --example counter   # real GitHub
//! ```
//! Register `http://127.0.0.1:8000/redirect` as the GitHub OAuth app's callback URL.
//! Environment: `BIND` (default `127.0.0.1:8000`), `PUBLIC_URL` (default `http://<BIND>`),
//! `COUNTS_DB` (default `data/counts.db`), `SESSION_STORE` (default
//! `sqlite://<abs>/data/sessions.db`: sessions survive a restart), `SESSION_KEY`.

mod counts;

use axum::response::{Html, IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Router, http::header};
use axum_oauth_login::GitHubAppClient;
use axum_oauth_login::dev::DevProvider;
use axum_oauth_login::prelude::*;
use axum_oauth_login::store::AnyStore;
use html_escape::encode_double_quoted_attribute as attr;
use sqlx::SqlitePool;

use counts::UserCounts;

#[oauth(provider = "github", skip = [r"/static/.*"])]
struct Auth {
    db: SqlitePool,
}

/// Everyone GitHub vouches for gets in; their counter row is created on first login, as
/// FastHTML's `if user_id not in counts: counts.insert(...)`.
#[get_auth]
async fn get_auth(oauth: &Auth, ident: &str) -> Option<Redirect> {
    if let Err(error) = counts::create_if_missing(&oauth.db, ident).await {
        tracing::error!(%error, "cannot create the counter row");
        return None;
    }
    Some(Redirect::to("/"))
}

async fn home(counts: UserCounts) -> Result<Html<String>, counts::DbError> {
    let count = counts.get().await?;
    Ok(Html(format!(
        r##"<!doctype html><html><head><title>Count demo</title><script src="/static/htmx.min.js"></script></head>
<body><p>Count demo</p>
<p>Count: <span id="count">{count}</span></p>
<button hx-post="/increment" hx-target="#count">Increment</button>
<p><a href="/logout">Logout</a></p></body></html>"##
    )))
}

async fn increment(counts: UserCounts) -> Result<String, counts::DbError> {
    Ok(counts.increment().await?.to_string())
}

async fn login(login: Login) -> Result<Html<String>, Error> {
    let href = login.link().await?;
    Ok(Html(format!(
        r#"<!doctype html><title>Log in</title><p><a href="{}">Login with GitHub</a></p>"#,
        attr(&href)
    )))
}

async fn error_page(query: axum::extract::RawQuery) -> Html<String> {
    let code = query
        .0
        .and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "code")
                .map(|(_, v)| v.into_owned())
        })
        .unwrap_or_default();
    let what = if code == "access_denied" {
        "The login was cancelled."
    } else {
        "The login failed."
    };
    Html(format!(
        "<!doctype html><title>Login error</title><p>{what} Code: <code>{}</code></p><a href=/login>Try again</a>",
        html_escape::encode_text(&code)
    ))
}

async fn htmx() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript")],
        include_str!("static/htmx.min.js"),
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
        .init();
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let bind = var("BIND").unwrap_or_else(|| "127.0.0.1:8000".into());
    let public_url = var("PUBLIC_URL").unwrap_or_else(|| format!("http://{bind}"));
    let db = counts::open(&var("COUNTS_DB").unwrap_or_else(|| "data/counts.db".into())).await?;

    let client = match GitHubAppClient::from_env() {
        Ok(github) => github.into(),
        Err(_) => DevProvider::from_env(&public_url)?.client(),
    };
    let app = Router::new()
        .route("/", get(home))
        .route("/increment", post(increment))
        .route("/login", get(login))
        .route("/error", get(error_page))
        .route("/static/htmx.min.js", get(htmx))
        .with_state(db.clone());
    // Sessions in SQLite by default, beside the counts: a restart keeps everyone logged in.
    let sessions = match var("SESSION_STORE") {
        Some(url) => url,
        None => format!(
            "sqlite://{}",
            std::path::absolute("data/sessions.db")?.display()
        ),
    };
    let app = Auth { db }
        .builder(client)
        .configure_from_env()
        .await?
        .session_store(AnyStore::from_url(&sessions).await?)
        .public_url(public_url.parse()?)
        .install(app);

    let listener = tokio::net::TcpListener::bind(&bind).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
