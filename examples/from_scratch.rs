//! FastHTML's from-scratch walkthrough, without the attribute macros: `login_link`, `redir_url`,
//! `retr_info`, and a hand-written guard ("beforeware"). Prefer `#[oauth]` in real apps; this
//! shows what it does for you.
//!
//! ```sh
//! cargo run --example from_scratch                 # development provider
//! AUTH_CLIENT_ID=... AUTH_CLIENT_SECRET=... cargo run --example from_scratch   # GitHub
//! ```
//! GitHub callback URL: `http://127.0.0.1:8000/auth_redirect`.

use axum::extract::{RawQuery, Request};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Router, routing::get};
use axum_oauth_login::dev::DevProvider;
use axum_oauth_login::manual::redir_url;
use axum_oauth_login::{Client, GitHubAppClient, Session};
use tower_sessions::{MemoryStore, SessionManagerLayer};

const AUTH_CALLBACK_PATH: &str = "/auth_redirect";

/// FastHTML's `before`: not logged in -> the login page; logged in -> `auth` for the handlers.
async fn before(session: Session, mut req: Request, next: Next) -> Response {
    if ["/login", AUTH_CALLBACK_PATH].contains(&req.uri().path()) {
        return next.run(req).await;
    }
    match session.get::<String>("user_id").await {
        Ok(Some(user_id)) => {
            req.extensions_mut().insert(Auth(user_id));
            next.run(req).await
        }
        Ok(None) => Redirect::to("/login").into_response(),
        Err(_) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "session store unavailable",
        )
            .into_response(),
    }
}

#[derive(Clone)]
struct Auth(String);

async fn login(
    Extension(client): Extension<Client>,
    session: Session,
    req: axum::http::request::Parts,
) -> Result<Html<String>, axum_oauth_login::Error> {
    let redir = redir_url(&req, AUTH_CALLBACK_PATH)?;
    let link = client.login_link(&session, &redir, None).await?;
    Ok(Html(format!(
        r#"<p><a href="{}">Login with GitHub</a></p>"#,
        html_escape::encode_double_quoted_attribute(&link)
    )))
}

async fn auth_redirect(
    Extension(client): Extension<Client>,
    session: Session,
    RawQuery(query): RawQuery,
) -> Result<Response, axum_oauth_login::Error> {
    let user_info = match client
        .retr_info(&session, query.as_deref().unwrap_or(""))
        .await
    {
        Ok(user_info) => user_info,
        // "Cancel" at the provider: not an error page, a way back.
        Err(error) if error.code() == "access_denied" => {
            let page = "<p>The login was cancelled.</p><p><a href=/login>Try again</a></p>";
            return Ok(Html(page).into_response());
        }
        Err(error) => return Err(error),
    };
    session.cycle_id().await?;
    session.insert("user_id", &user_info.info.ident).await?;
    Ok(Redirect::to("/").into_response())
}

/// Logging out is a `POST` (a form button): a plain link would let any page log the user out
/// with an `<img src=/logout>`. The `SameSite=Lax` cookie keeps other sites' forms out.
const LOGOUT_FORM: &str = r#"<form method=post action=/logout><button>Logout</button></form>"#;

async fn home(Extension(Auth(user_id)): Extension<Auth>) -> Html<String> {
    Html(format!(
        "<p>User id: {}</p>{LOGOUT_FORM}",
        html_escape::encode_text(&user_id)
    ))
}

/// A `GET /logout` (a typed URL, an old bookmark) asks first.
async fn confirm_logout() -> Html<String> {
    Html(format!("<p>Log out?</p>{LOGOUT_FORM}"))
}

async fn logout(session: Session) -> Redirect {
    let _ = session.flush().await;
    Redirect::to("/login")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().init();
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:8000".into());
    let (client, dev) = match GitHubAppClient::from_env() {
        Ok(github) => (Client::from(github), None),
        Err(_) => {
            let dev = DevProvider::from_env(&format!("http://{bind}"))?;
            (dev.client(), Some(dev.router()))
        }
    };
    let mut app = Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route(AUTH_CALLBACK_PATH, get(auth_redirect))
        .route("/logout", get(confirm_logout).post(logout))
        .layer(middleware::from_fn(before));
    if let Some(dev) = dev {
        app = app.merge(dev);
    }
    let sessions = SessionManagerLayer::new(MemoryStore::default())
        .with_secure(false)
        .with_same_site(tower_sessions::cookie::SameSite::Lax);
    let app = app.layer(Extension(client)).layer(sessions);

    let listener = tokio::net::TcpListener::bind(&bind).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
