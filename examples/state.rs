//! FastHTML's "Using State (Hugging Face)": in-progress work survives the login.
//!
//! An anonymous visitor on the home page (`public`: open to everyone, with the session) types an
//! edit and clicks "Run (Pro)", which needs an account. The sign-in link then carries the edit as
//! its state payload (`login.link_with_state(..)`); after the login `get_auth` gets it back as
//! `state`, keeps it in the session and sends the user home, where the edit is waiting to run.
//!
//! ```sh
//! cargo run --example state                                    # development provider
//! AUTH_CLIENT_ID=... AUTH_CLIENT_SECRET=... cargo run --example state   # real Hugging Face
//! ```
//! Register `http://127.0.0.1:8000/redirect` with the Hugging Face app (scopes `openid profile`).
//! Environment: `BIND` (default `127.0.0.1:8000`), `PUBLIC_URL` (default `http://<BIND>`).
//!
//! The payload never travels to the provider: the link's `state` is a random value, and the
//! payload waits in the session under it, so it can be neither read nor forged on the way.

use axum::Router;
use axum::extract::{Form, Query};
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use axum_oauth_login::HuggingFaceClient;
use axum_oauth_login::dev::DevProvider;
use axum_oauth_login::prelude::*;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use serde::Deserialize;

/// The home page is `public`: anonymous visitors edit there, logged-in users run their edits.
#[oauth(provider = "huggingface", public = ["/"])]
struct Auth;

/// The session key of the edit carried through the login.
const DRAFT: &str = "draft";
/// Pre-login data lives in the session: keep it small.
const MAX_DRAFT: usize = 2000;

/// Everyone Hugging Face vouches for gets in; an edit carried through the login is kept.
#[get_auth]
async fn get_auth(session: &Session, state: Option<&str>) -> Option<Redirect> {
    if let Some(draft) = state
        && let Err(error) = session.insert(DRAFT, draft).await
    {
        // The login itself is fine; only the edit is lost.
        tracing::warn!(%error, "cannot keep the edit in the session");
    }
    Some(Redirect::to("/"))
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>{title}</title><body>{body}</body></html>"
    ))
}

/// The editor: the anonymous visitor's, or the logged-in user's.
async fn home(
    ident: Option<Ident>,
    session: Session,
    login: Login,
    query: Query<Draft>,
) -> Result<Html<String>, Error> {
    match ident {
        Some(Ident(auth)) => user_editor(&auth, &session).await,
        None => visitor_editor(&login, query).await,
    }
}

/// The editor of a logged-in user, with the edit carried through the login, if any.
async fn user_editor(auth: &str, session: &Session) -> Result<Html<String>, Error> {
    let draft: Option<String> = session.get(DRAFT).await.map_err(|_| Error::SessionStore)?;
    let restored = match &draft {
        Some(_) => "<p id=\"restored\">Your edit from before you logged in is back.</p>",
        None => "",
    };
    Ok(page(
        "Image editor",
        &format!(
            "<h1>Image editor</h1><p>Logged in as <b id=\"ident\">{}</b></p>{restored}\
             <form method=\"post\" action=\"/run\">\
             <textarea id=\"draft\" name=\"draft\" rows=\"3\" cols=\"60\" required maxlength=\"2000\">{}</textarea>\
             <p><button type=\"submit\">Run (Pro)</button></p></form>\
             <p><a href=\"/logout\">Log out</a></p>",
            text(auth),
            text(draft.as_deref().unwrap_or_default()),
        ),
    ))
}

#[derive(Deserialize)]
struct Draft {
    draft: Option<String>,
}

/// The anonymous visitor's editor. "Run (Pro)" comes back with `?draft=`, and the sign-in link
/// then carries the edit.
async fn visitor_editor(login: &Login, Query(query): Query<Draft>) -> Result<Html<String>, Error> {
    let draft = query
        .draft
        .filter(|d| !d.trim().is_empty())
        .map(|d| d.chars().take(MAX_DRAFT).collect::<String>());
    let body = match &draft {
        None => format!(
            "<h1>Image editor</h1><p>Not logged in. Describe your edit, then run it \
             (running needs an account).</p>\
             <form method=\"get\" action=\"/\">\
             <textarea id=\"draft\" name=\"draft\" rows=\"3\" cols=\"60\" required maxlength=\"2000\"></textarea>\
             <p><button type=\"submit\">Run (Pro)</button></p></form>\
             <p>Or just <a href=\"{}\">sign in with Hugging Face</a>.</p>",
            attr(&login.link().await?)
        ),
        Some(draft) => format!(
            "<h1>Image editor</h1><p>Sign in to run your edit: <q id=\"pending\">{}</q>. \
             It will be waiting for you.</p>\
             <p><a id=\"sign-in\" href=\"{}\">Sign in with Hugging Face</a></p>",
            text(draft),
            attr(&login.link_with_state(draft.clone()).await?)
        ),
    };
    Ok(page("Image editor", &body))
}

/// Where guarded routes send anonymous requests.
async fn login(login: Login) -> Result<Html<String>, Error> {
    Ok(page(
        "Log in",
        &format!(
            "<p>Not logged in.</p><p><a href=\"{}\">Sign in with Hugging Face</a></p>\
             <p><a href=\"/\">Back to the editor</a></p>",
            attr(&login.link().await?)
        ),
    ))
}

/// Runs the edit (guarded: logged-in users only) and forgets the draft.
async fn run(session: Session, Form(form): Form<Draft>) -> Result<Html<String>, Error> {
    session
        .remove::<String>(DRAFT)
        .await
        .map_err(|_| Error::SessionStore)?;
    let draft = form.draft.unwrap_or_default();
    Ok(page(
        "Running",
        &format!(
            "<p>Running (Pro): <q id=\"running\">{}</q></p><p><a href=\"/\">Back</a></p>",
            text(&draft)
        ),
    ))
}

#[derive(Deserialize)]
struct ErrorQuery {
    code: Option<String>,
}

async fn error_page(Query(q): Query<ErrorQuery>) -> Html<String> {
    let code = q.code.as_deref().unwrap_or("unknown");
    let what = if code == "access_denied" {
        "The login was cancelled."
    } else {
        "The login failed."
    };
    page(
        "Login error",
        &format!(
            "<p>{what} Code: <code>{}</code></p><a href=\"/\">Back to your edit</a>",
            text(code)
        ),
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
    let client = match HuggingFaceClient::from_env() {
        Ok(huggingface) => huggingface.into(),
        Err(_) => DevProvider::from_env(&public_url)?.client(),
    };
    let app = Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/run", post(run))
        .route("/error", get(error_page));
    let app = Auth
        .builder(client)
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
