//! FastHTML's "Using the OAuth class" app: lets in verified emails of one domain.
//!
//! ```sh
//! cargo run --example minimal                      # development provider, domain example.com
//! AUTH_CLIENT_ID=... AUTH_CLIENT_SECRET=... ALLOWED_DOMAIN=answer.ai cargo run --example minimal
//! ```
//! With credentials it logs in with Google (register `http://127.0.0.1:8000/redirect`).

use axum::response::{Html, Redirect};
use axum::{Router, routing::get};
use axum_oauth_login::GoogleAppClient;
use axum_oauth_login::dev::DevProvider;
use axum_oauth_login::prelude::*;

#[oauth(provider = "google")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    let allowed = std::env::var("ALLOWED_DOMAIN").unwrap_or_else(|_| "example.com".into());
    (info.verified_email_domain()? == allowed.to_ascii_lowercase()).then(|| Redirect::to("/"))
}

async fn home(Ident(_auth): Ident) -> Html<&'static str> {
    Html("<p>Logged in!</p><a href=/logout>Log out</a>")
}

async fn login(login: Login) -> Result<Html<String>, Error> {
    let href = html_escape::encode_double_quoted_attribute(&login.link().await?).into_owned();
    Ok(Html(format!(
        "<p>Not logged in</p><a href=\"{href}\">Log in</a>"
    )))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().init();
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:8000".into());
    let client = match GoogleAppClient::from_env() {
        Ok(google) => google.into(),
        Err(_) => DevProvider::from_env(&format!("http://{bind}"))?.client(),
    };
    let app = Router::new()
        .route("/", get(home))
        .route("/login", get(login));
    let app = Auth.install(app, client);

    let listener = tokio::net::TcpListener::bind(&bind).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
