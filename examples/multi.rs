//! Two providers in one app: "Log in with GitHub" and "Log in with Google" buttons, one guard, one
//! session. Each provider has its own callback: `/redirect` for `#[oauth(provider)]`'s, and
//! `/redirect/{name}` for each one added with `add_provider`.
//!
//! ```sh
//! cargo run --example multi                        # development provider under both names
//! GITHUB_CLIENT_ID=... GITHUB_CLIENT_SECRET=... GOOGLE_CLIENT_ID=... GOOGLE_CLIENT_SECRET=... \
//!   cargo run --example multi
//! ```
//! Register `http://127.0.0.1:8000/redirect` with GitHub and
//! `http://127.0.0.1:8000/redirect/google` with Google.

use axum::response::{Html, Redirect};
use axum::{Router, routing::get};
use axum_oauth_login::dev::DevProvider;
use axum_oauth_login::prelude::*;
use axum_oauth_login::{Client, GitHubAppClient, GoogleAppClient};

#[oauth(provider = "github")]
struct Auth;

/// Everyone with a verified email gets in; the session remembers which provider they used.
#[get_auth]
async fn get_auth(info: &UserInfo, session: &Session) -> Option<Redirect> {
    if !info.email_verified {
        return None;
    }
    session.insert("email", info.email.clone()).await.ok()?;
    Some(Redirect::to("/"))
}

async fn home(Ident(auth): Ident, session: Session, tokens: UserTokens) -> Html<String> {
    let email: Option<String> = session.get("email").await.ok().flatten();
    let provider = tokens.provider().await.unwrap_or_default();
    Html(format!(
        "<p>Logged in as <b id=\"ident\">{}</b> ({}) with <b id=\"provider\">{}</b>.</p><a href=/logout>Log out</a>",
        html_escape::encode_text(&auth),
        html_escape::encode_text(&email.unwrap_or_default()),
        html_escape::encode_text(&provider),
    ))
}

/// One button per provider of the app.
async fn login(login: Login) -> Result<Html<String>, Error> {
    let mut buttons = String::new();
    let names: Vec<&str> = login.providers().collect();
    for name in names {
        let Some(provider) = login.provider(name) else {
            continue;
        };
        buttons.push_str(&format!(
            "<p><a id=\"login-{name}\" href=\"{}\">Log in with {}</a></p>",
            html_escape::encode_double_quoted_attribute(&provider.link().await?),
            label(name),
        ));
    }
    Ok(Html(format!("<h1>Log in</h1>{buttons}")))
}

fn label(name: &str) -> &str {
    match name {
        "github" | "dev" => "GitHub",
        "google" | "dev-google" => "Google",
        other => other,
    }
}

/// GitHub and Google from the environment, or the development provider under two names.
fn clients(bind: &str) -> Result<(Client, Client), Box<dyn std::error::Error>> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let (Some(gh_id), Some(gh_secret), Some(g_id), Some(g_secret)) = (
        var("GITHUB_CLIENT_ID"),
        var("GITHUB_CLIENT_SECRET"),
        var("GOOGLE_CLIENT_ID"),
        var("GOOGLE_CLIENT_SECRET"),
    ) {
        return Ok((
            GitHubAppClient::new(gh_id, gh_secret).into(),
            GoogleAppClient::new(g_id, g_secret).into(),
        ));
    }
    let dev = DevProvider::from_env(&format!("http://{bind}"))?;
    Ok((
        dev.client(),
        dev.client().with_provider(|p| p.name = "dev-google"),
    ))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().init();
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:8000".into());
    let (github, google) = clients(&bind)?;
    let app = Router::new()
        .route("/", get(home))
        .route("/login", get(login));
    let app = Auth.builder(github).add_provider(google).install(app);

    let listener = tokio::net::TcpListener::bind(&bind).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
