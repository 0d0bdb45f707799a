//! A provider the library does not know, added in one file: its description and its quirks are
//! a type implementing `Provider`, and the app offers it with `add_provider`. The quirks here are
//! those real providers have (scopes listed with another separator, a display name under another
//! key, an email verified through a second API call, a revocation endpoint that takes the token
//! alone); the fake forge below answers as such a provider would.

mod common;

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use axum_oauth_login::prelude::*;
use axum_oauth_login::provider::{AuthMethod, Provider, ProviderConfig, ProviderFuture, UserApi};
use axum_oauth_login::{Client, dev::DevProvider};
use base64::Engine as _;
use common::{Browser, serve};
use serde_json::{Value, json};
use sha2::Digest as _;

/// The whole provider: where it lives and what it does differently.
#[derive(Debug)]
struct Forge {
    base: String,
}

impl Provider for Forge {
    fn config(&self) -> ProviderConfig {
        let at = |path: &str| format!("{}{path}", self.base).parse().unwrap();
        ProviderConfig {
            name: "forge",
            auth_url: at("/oauth/authorize"),
            token_url: at("/oauth/token"),
            userinfo_url: Some(at("/api/user")),
            revocation_url: Some(at("/oauth/revoke")),
            end_session_url: None,
            oidc: None,
            scopes: vec!["read:user".into(), "email".into()],
            id_key: "id".into(),
            auth_method: AuthMethod::Post,
            iss_parameter: false,
            par_url: None,
            require_par: false,
            dpop: false,
            extra_auth_params: vec![],
        }
    }

    /// The forge lists granted scopes with semicolons.
    fn granted_scopes(&self, listed: Vec<String>) -> Vec<String> {
        listed
            .iter()
            .flat_map(|s| s.split(';'))
            .map(str::to_owned)
            .collect()
    }

    /// Its display name is `full_name`.
    fn fix_user_info(&self, info: &mut UserInfo) {
        info.name = info.raw["full_name"].as_str().map(str::to_owned);
    }

    /// Its user document says nothing about verification; `/api/user/emails` does.
    fn complete_user_info<'a>(
        &'a self,
        info: &'a mut UserInfo,
        api: UserApi<'a>,
    ) -> ProviderFuture<'a, ()> {
        Box::pin(async move {
            let url = format!("{}/api/user/emails", self.base).parse().unwrap();
            let Ok(Value::Array(emails)) = api.get_json(&url).await else {
                return;
            };
            info.email_verified = emails
                .iter()
                .any(|e| e["email"].as_str() == info.email.as_deref() && e["verified"] == true);
        })
    }

    /// Its revocation endpoint takes the token alone.
    fn revocation_authenticated(&self) -> bool {
        false
    }
}

/// What the fake forge saw.
#[derive(Default)]
struct Seen {
    challenge: Option<String>,
    token_form: Vec<(String, String)>,
    revoke_form: Vec<(String, String)>,
}

type Fake = Arc<Mutex<Seen>>;

fn value(form: &[(String, String)], key: &str) -> Option<String> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

async fn fake_forge() -> (common::Server, Fake) {
    let seen = Fake::default();
    let state = seen.clone();
    let bearer =
        |h: &HeaderMap| h.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer ft");
    let server =
        serve(|_| async move {
            Router::new()
            .route(
                "/oauth/token",
                post(
                    |State(seen): State<Fake>, Form(form): Form<Vec<(String, String)>>| async move {
                        let mut seen = seen.lock().unwrap();
                        let verifier = value(&form, "code_verifier").unwrap_or_default();
                        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
                            .encode(sha2::Sha256::digest(verifier.as_bytes()));
                        let good = value(&form, "code").as_deref() == Some("good-code")
                            && value(&form, "client_secret").as_deref() == Some("forge-secret")
                            && seen.challenge.as_deref() == Some(challenge.as_str());
                        seen.token_form = form;
                        if !good {
                            return Json(json!({"error": "invalid_grant"}));
                        }
                        Json(json!({"access_token": "ft", "token_type": "bearer",
                            "scope": "read:user;email", "refresh_token": "fr"}))
                    },
                ),
            )
            .route(
                "/api/user",
                get(move |h: HeaderMap| async move {
                    assert!(bearer(&h), "the user document is asked with the access token");
                    Json(json!({"id": 42, "login": "ada", "full_name": "Ada Lovelace",
                        "email": "ada@forge.example"}))
                }),
            )
            .route(
                "/api/user/emails",
                get(move |h: HeaderMap| async move {
                    assert!(bearer(&h), "the email list is asked with the access token");
                    Json(json!([{"email": "ada@forge.example", "verified": true}]))
                }),
            )
            .route(
                "/oauth/revoke",
                post(
                    |State(seen): State<Fake>, Form(form): Form<Vec<(String, String)>>| async move {
                        seen.lock().unwrap().revoke_form = form;
                    },
                ),
            )
            .with_state(state)
        })
        .await;
    (server, seen)
}

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
async fn get_auth(info: &UserInfo, ident: &str, session: &Session) -> Option<Redirect> {
    let who = format!(
        "{ident} {} {:?} {}",
        info.name.as_deref()?,
        info.email,
        info.email_verified
    );
    session.insert("who", who).await.ok()?;
    Some(Redirect::to("/"))
}

fn routes(forge: Client) -> Router {
    Router::new()
        .route("/", get(common::who))
        .route(
            "/login",
            get(|login: Login| async move {
                let forge = login.provider("forge").expect("the forge is offered");
                let link = forge.link().await.unwrap();
                Html(format!(
                    r#"<a href="{}">forge</a>"#,
                    html_escape::encode_double_quoted_attribute(&link)
                ))
            }),
        )
        .route("/scopes", get(common::granted_scopes))
        .route(
            "/revoke",
            get(move |tokens: UserTokens| async move {
                forge.revoke(&tokens.get().await.unwrap()).await.unwrap();
                "revoked"
            }),
        )
}

#[tokio::test]
async fn a_provider_added_in_one_file_logs_in_with_its_quirks() {
    let (forge, seen) = fake_forge().await;
    let client = Client::from_provider(
        Forge {
            base: forge.base.clone(),
        },
        "forge-id",
        Some("forge-secret".into()),
    );
    let app = serve(|base| async move {
        let dev = DevProvider::new(&base).unwrap();
        Auth.builder(dev.client())
            .add_provider(client.clone())
            .public_url(base.parse().unwrap())
            .install(routes(client))
    })
    .await;

    let b = Browser::new();
    let login = b.get(&format!("{}/login", app.base)).await;
    let link = common::first_href(&login.body).unwrap();
    assert!(link.starts_with(&format!("{}/oauth/authorize?", forge.base)));
    let q = common::query(&link);
    assert_eq!(q["redirect_uri"], format!("{}/redirect/forge", app.base));
    assert_eq!(q["scope"], "read:user email");
    seen.lock().unwrap().challenge = Some(q["code_challenge"].clone());

    let done = b
        .get(&format!(
            "{}/redirect/forge?code=good-code&state={}",
            app.base, q["state"]
        ))
        .await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    assert_eq!(
        b.get(&format!("{}/", app.base)).await.body,
        r#"forge:42 Ada Lovelace Some("ada@forge.example") true"#,
        "the integer id, the display name and the verified email, by the provider's own rules"
    );
    assert_eq!(
        b.get(&format!("{}/scopes", app.base)).await.body,
        "read:user email"
    );

    assert_eq!(b.get(&format!("{}/revoke", app.base)).await.body, "revoked");
    let revoke = seen.lock().unwrap().revoke_form.clone();
    assert_eq!(value(&revoke, "token").as_deref(), Some("fr"));
    assert_eq!(
        value(&revoke, "client_secret"),
        None,
        "the forge's revocation takes the token alone"
    );
}
