//! Metrics for Prometheus: logins, logouts and failures by code, and the latency of the provider
//! and of the session store, scraped from a second listener that only the monitoring network
//! reaches (metrics are not for the public, and the login guard does not stand in front of them).
//!
//! ```sh
//! cargo run --example prometheus             # development provider; the app on 127.0.0.1:8000
//! curl -s http://127.0.0.1:9000/metrics | grep ^oauth_
//! OIDC_ISSUER=https://accounts.example.com OIDC_CLIENT_ID=... OIDC_CLIENT_SECRET=... \
//!     cargo run --example prometheus         # any OpenID Connect provider
//! ```
//!
//! Environment: `BIND` (default `127.0.0.1:8000`), `METRICS_BIND` (default `127.0.0.1:9000`),
//! `PUBLIC_URL` (default `http://<BIND>`), `OIDC_ISSUER` (unset: the development provider),
//! `OIDC_CLIENT_ID`, `OIDC_CLIENT_SECRET`, `SESSION_STORE`, `SESSION_KEY`.
//!
//! Any exporter of the `metrics` facade works the same way: install its recorder before the app
//! is built, and the library's metrics (listed on `axum_oauth_login::describe_metrics`) reach it.

use std::time::Duration;

use axum::Router;
use axum::response::{Html, Redirect};
use axum::routing::get;
use axum_oauth_login::dev::DevProvider;
use axum_oauth_login::prelude::*;
use axum_oauth_login::provider::OidcClient;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};

#[oauth(provider = "oidc")]
struct Auth;

/// Verified emails get in.
#[get_auth]
fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}

async fn home(Ident(auth): Ident) -> Html<String> {
    Html(format!(
        "<!doctype html><title>Home</title><p>Logged in as {}</p>\
         <form method=post action=/logout><button>Log out</button></form>",
        text(&auth)
    ))
}

async fn login(login: Login) -> Result<Html<String>, Error> {
    Ok(Html(format!(
        "<!doctype html><title>Log in</title><a href=\"{}\">Log in</a>",
        attr(&login.link().await?)
    )))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
        .init();
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let bind = var("BIND").unwrap_or_else(|| "127.0.0.1:8000".into());
    let metrics_bind = var("METRICS_BIND").unwrap_or_else(|| "127.0.0.1:9000".into());
    let public_url = var("PUBLIC_URL").unwrap_or_else(|| format!("http://{bind}"));

    // First the recorder, so that nothing the app does goes unrecorded. Durations as Prometheus
    // histograms (buckets add up across instances; the default summaries do not).
    let prometheus = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Suffix("_seconds".into()),
            &[
                0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ],
        )?
        .install_recorder()?;
    axum_oauth_login::describe_metrics();
    let upkeep = prometheus.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            upkeep.run_upkeep();
        }
    });

    let client = match var("OIDC_ISSUER") {
        Some(_) => OidcClient::from_env().await?,
        None => DevProvider::from_env(&public_url)?.client(),
    };
    let app = Router::new()
        .route("/", get(home))
        .route("/login", get(login));
    let app = Auth
        .builder(client)
        .configure_from_env()
        .await?
        .public_url(public_url.parse()?)
        .install(app);
    let metrics = Router::new().route(
        "/metrics",
        get(move || std::future::ready(prometheus.render())),
    );

    let listener = tokio::net::TcpListener::bind(&bind).await?;
    let metrics_listener = tokio::net::TcpListener::bind(&metrics_bind).await?;
    println!(
        "metrics on http://{}/metrics",
        metrics_listener.local_addr()?
    );
    println!("listening on http://{}", listener.local_addr()?);
    tokio::try_join!(
        axum::serve(listener, app).into_future(),
        axum::serve(metrics_listener, metrics).into_future(),
    )?;
    Ok(())
}
