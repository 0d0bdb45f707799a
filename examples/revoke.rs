//! FastHTML's "Revoking Tokens (Google)": logging out also revokes the token at the provider, and
//! a button revokes it from a handler while the user stays logged in here.
//!
//! ```sh
//! cargo run --example revoke                                    # development provider
//! AUTH_CLIENT_ID=... AUTH_CLIENT_SECRET=... cargo run --example revoke   # real Google
//! ```
//! Register `http://127.0.0.1:8000/redirect` as the Google client's redirect URI.
//! Environment: `BIND` (default `127.0.0.1:8000`), `PUBLIC_URL` (default `http://<BIND>`).
//!
//! After a revocation Google asks for consent again at the next login: the app's grant is gone,
//! not only this session.
//!
//! # Warning
//! On the development provider only, the home page shows the tokens themselves, so that you can
//! watch the revocation happen at the provider (`curl -H "Authorization: Bearer <token>"
//! http://127.0.0.1:8000/_dev/oauth/userinfo` answers `401` once the token is revoked). Never show
//! real tokens in a page.

use axum::Router;
use axum::extract::State;
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use axum_oauth_login::GoogleAppClient;
use axum_oauth_login::dev::DevProvider;
use axum_oauth_login::prelude::*;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

#[oauth(provider = "google")]
struct Auth;

/// Everyone Google vouches for gets in.
#[get_auth]
fn get_auth() -> Option<Redirect> {
    Some(Redirect::to("/"))
}

/// What the pages need to know about the setup.
#[derive(Clone)]
struct Demo {
    /// The development provider's issuer, when the app runs on it: only then are tokens shown.
    dev_issuer: Option<String>,
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>{title}</title><body>{body}</body></html>"
    ))
}

async fn home(
    State(demo): State<Demo>,
    Ident(auth): Ident,
    tokens: UserTokens,
) -> Result<Html<String>, Error> {
    let status = match tokens.get().await {
        Ok(tokens) => {
            let shown = match &demo.dev_issuer {
                Some(issuer) => format!(
                    "<p>Development provider, so here they are. Check the access token at \
                     <code>{userinfo}</code> with <code>Authorization: Bearer</code>:</p>\
                     <p>Access token: <code id=\"access-token\">{access}</code></p>\
                     <p>Refresh token: <code id=\"refresh-token\">{refresh}</code></p>",
                    userinfo = text(&format!("{issuer}/userinfo")),
                    access = text(tokens.access_token()),
                    refresh = text(tokens.refresh_token().unwrap_or("none")),
                ),
                None => String::new(),
            };
            format!(
                "<p id=\"status\">This session holds the provider's tokens.</p>{shown}\
                 <form method=\"post\" action=\"/revoke\"><button>Revoke the token (stay logged in here)</button></form>"
            )
        }
        Err(Error::NoTokens) => {
            "<p id=\"status\">No token: it was revoked. You are still logged in here.</p>"
                .to_owned()
        }
        Err(error) => return Err(error),
    };
    Ok(page(
        "Home",
        &format!(
            "<p>Logged in as <b>{}</b></p>{status}\
             <form method=\"post\" action=\"/logout\"><button>Log out (and revoke)</button></form>",
            text(&auth)
        ),
    ))
}

/// Revokes the user's tokens at the provider, from a handler, and forgets them.
async fn revoke(tokens: UserTokens) -> Result<Redirect, Error> {
    match tokens.revoke().await {
        // Already revoked: nothing left to do.
        Ok(()) | Err(Error::NoTokens) => Ok(Redirect::to("/")),
        Err(error) => Err(error),
    }
}

async fn login(login: Login) -> Result<Html<String>, Error> {
    let href = login.link().await?;
    Ok(page(
        "Log in",
        &format!(
            "<p>Not logged in</p><p><a href=\"{}\">Log in with Google</a></p>",
            attr(&href)
        ),
    ))
}

async fn error_page(query: axum::extract::RawQuery) -> Html<String> {
    let code = url::form_urlencoded::parse(query.0.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let what = if code == "access_denied" {
        "The login was cancelled."
    } else {
        "The login failed."
    };
    page(
        "Login error",
        &format!(
            "<p>{what} Code: <code>{}</code></p><a href=\"/login\">Try again</a>",
            text(&code)
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
    let (client, demo) = match GoogleAppClient::from_env() {
        Ok(google) => (google.into(), Demo { dev_issuer: None }),
        Err(_) => {
            let dev = DevProvider::from_env(&public_url)?;
            let demo = Demo {
                dev_issuer: Some(dev.issuer().to_owned()),
            };
            (dev.client(), demo)
        }
    };
    let app = Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/revoke", post(revoke))
        .route("/error", get(error_page))
        .with_state(demo);
    let app = Auth
        .builder(client)
        .public_url(public_url.parse()?)
        .revoke_on_logout(true)
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
