//! Log in with any OpenID Connect provider.
//!
//! ```sh
//! cargo run --example oidc                     # the embedded development provider
//! OIDC_ISSUER=https://accounts.example.com OIDC_CLIENT_ID=... OIDC_CLIENT_SECRET=... \
//!     PUBLIC_URL=https://app.example.com cargo run --example oidc
//! ```
//!
//! Environment: `OIDC_ISSUER` (unset: the development provider), `OIDC_CLIENT_ID`,
//! `OIDC_CLIENT_SECRET`, or `OIDC_CLIENT_KEY` (a P-256 private key, PEM or JWK text, or an RSA
//! one in PEM: the client authenticates with `private_key_jwt`; `OIDC_CLIENT_KEY_ALG=PS256` for an
//! RSA key registered for PS256), `BIND` (default `127.0.0.1:8000`), `PUBLIC_URL` (default `http://<BIND>`;
//! register `PUBLIC_URL/redirect` as the callback and `PUBLIC_URL/logout` as the post-logout
//! redirect URI), `SESSION_STORE` (`memory`, `sqlite:///abs.db`,
//! `redis://host:port`, `postgres://...`), `SESSION_KEY` (128 hex characters), `ALLOWED_DOMAIN`,
//! `OIDC_SCOPES` (default `openid email profile`; with `offline_access` the login asks for consent
//! so that the provider issues a refresh token). Only verified emails get in, and only of
//! `ALLOWED_DOMAIN` when it is set.
//!
//! Besides the login pages: `POST /refresh` refreshes the user's tokens, `POST /revoke` revokes
//! them, and `/logout` also ends the session at the provider when it offers RP-initiated logout.

use axum::Router;
use axum::extract::Query;
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use axum_oauth_login::dev::DevProvider;
use axum_oauth_login::prelude::*;
use axum_oauth_login::provider::OidcClient;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use serde::Deserialize;

#[oauth(provider = "oidc", skip = ["/public"])]
struct Auth {
    allowed_domain: Option<String>,
}

#[get_auth]
async fn get_auth(oauth: &Auth, info: &UserInfo, session: &Session) -> Option<Redirect> {
    let domain = info.verified_email_domain()?;
    if oauth
        .allowed_domain
        .as_ref()
        .is_some_and(|allowed| !allowed.eq_ignore_ascii_case(&domain))
    {
        return None;
    }
    session.insert("email", info.email.as_deref()?).await.ok()?;
    Some(Redirect::to("/"))
}

async fn home(Ident(auth): Ident, session: Session) -> Html<String> {
    let email: Option<String> = session.get("email").await.ok().flatten();
    Html(format!(
        "<!doctype html><title>Home</title><p>Logged in as {}</p><p>Email: {}</p>\
         <form method=post action=/logout><button>Log out</button></form>",
        text(&auth),
        text(email.as_deref().unwrap_or("")),
    ))
}

async fn login(login: Login) -> Result<Html<String>, Error> {
    let href = login.link().await?;
    Ok(Html(format!(
        "<!doctype html><title>Log in</title><p>Not logged in</p><a href=\"{}\">Log in</a>",
        attr(&href)
    )))
}

#[derive(Deserialize)]
struct ErrorQuery {
    code: Option<String>,
}

async fn error(Query(q): Query<ErrorQuery>) -> Html<String> {
    let code = q.code.unwrap_or_else(|| "unknown".into());
    let what = if code == "access_denied" {
        "The login was cancelled."
    } else {
        "The login failed."
    };
    Html(format!(
        "<!doctype html><title>Login error</title><p>{what} Code: <code>{}</code></p><a href=/login>Try again</a>",
        text(&code)
    ))
}

async fn refresh(tokens: UserTokens) -> Result<Html<String>, Error> {
    let fresh = tokens.refresh().await?;
    Ok(Html(format!(
        "<!doctype html><title>Refreshed</title><p>Tokens refreshed; expires at {}</p>",
        fresh.expires_at().unwrap_or_default()
    )))
}

async fn revoke(tokens: UserTokens) -> Result<Html<&'static str>, Error> {
    tokens.revoke().await?;
    Ok(Html(
        "<!doctype html><title>Revoked</title><p>Tokens revoked</p>",
    ))
}

async fn public() -> Html<&'static str> {
    Html("<!doctype html><title>Public</title><p>This page is public.</p>")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
        .init();
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let bind = var("BIND").unwrap_or_else(|| "127.0.0.1:8000".into());
    let public_url = var("PUBLIC_URL").unwrap_or_else(|| format!("http://{bind}"));

    let mut client = match var("OIDC_ISSUER") {
        Some(_) => OidcClient::from_env().await?,
        None => DevProvider::from_env(&public_url)?.client(),
    };
    if let Some(scopes) = var("OIDC_SCOPES") {
        let offline = scopes.split_whitespace().any(|s| s == "offline_access");
        client = client.with_provider(|p| {
            p.scopes = scopes.split_whitespace().map(str::to_owned).collect();
            if offline {
                p.extra_auth_params
                    .push(("prompt".into(), "consent".into()));
            }
        });
    }
    let auth = Auth {
        allowed_domain: var("ALLOWED_DOMAIN"),
    };
    let app = Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/error", get(error))
        .route("/public", get(public))
        .route("/refresh", post(refresh))
        .route("/revoke", post(revoke));
    let app = auth
        .builder(client)
        .configure_from_env()
        .await?
        .public_url(public_url.parse()?)
        .provider_logout(true)
        .install(app);

    let listener = tokio::net::TcpListener::bind(&bind).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}

async fn shutdown() {
    let _ = tokio::signal::ctrl_c().await;
}
