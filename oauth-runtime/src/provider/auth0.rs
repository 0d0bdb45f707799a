//! Auth0 (OpenID Connect; one issuer per tenant domain).

use url::Url;

use super::oidc::{discover_document, is_loopback};
use super::{AuthMethod, OidcConfig, ProviderConfig, credentials_from_env, env_var, scopes};
use crate::http::HttpClient;
use crate::{Client, Error};

provider_common! {
    /// "Sign in with Auth0": the tenant at a domain (`dev-abc123.us.auth0.com`, or a custom
    /// domain).
    ///
    /// Build it with [`discover`](Self::discover), which reads the tenant's discovery document, or
    /// offline with [`new`](Self::new) and Auth0's standard paths. The issuer is
    /// `https://{domain}/`, with its trailing slash, as Auth0 writes it in ID tokens. Scopes
    /// `openid profile email`; the user's id is `sub` (`auth0|…`, `google-oauth2|…`); the ID
    /// token is verified and the user info comes from `/userinfo`, whose `email_verified` is
    /// Auth0's. Tokens can be revoked at `/oauth/revoke`. The logout endpoint
    /// (`end_session_endpoint`, `/oidc/logout`) is set when discovery announces it, that is when
    /// the tenant has RP-initiated logout enabled.
    ///
    /// ```
    /// use axum_oauth_login::Auth0AppClient;
    /// let client = Auth0AppClient::new("dev-abc123.us.auth0.com", "client-id", "client-secret")?;
    /// assert_eq!(client.provider().name, "auth0");
    /// assert_eq!(client.provider().oidc.as_ref().unwrap().issuer, "https://dev-abc123.us.auth0.com/");
    /// # Ok::<(), axum_oauth_login::Error>(())
    /// ```
    Auth0AppClient,
    setup = "",
    make = ("axum_oauth_login::Auth0AppClient::new(\"example.us.auth0.com\", \"id\", \"secret\").unwrap()"),
}

impl Auth0AppClient {
    /// Fetches `https://{domain}/.well-known/openid-configuration` and builds the client from it.
    ///
    /// `domain` is the tenant's domain (`dev-abc123.us.auth0.com`); an `https://` URL of it is
    /// accepted too, and so is `http://` on a loopback host, for tests.
    ///
    /// # Errors
    /// [`Error::Config`] for a malformed domain, [`Error::Network`] when the document cannot be
    /// fetched, [`Error::Discovery`] when it is unusable or names another issuer.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), axum_oauth_login::Error> {
    /// use axum_oauth_login::Auth0AppClient;
    /// let client = Auth0AppClient::discover("dev-abc123.us.auth0.com", "client-id", "secret").await?;
    /// assert_eq!(client.provider().name, "auth0");
    /// # Ok(()) }
    /// ```
    #[tracing::instrument(skip_all, fields(domain = %domain))]
    pub async fn discover(
        domain: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<Self, Error> {
        let issuer = issuer_of(domain)?;
        let (mut config, auth) = discover_document(&HttpClient::shared(), issuer.as_str()).await?;
        config.name = "auth0";
        Ok(Self(
            Client::new(config, client_id, Some(client_secret.into())).discovered_now(auth),
        ))
    }

    /// A client of the tenant at `domain` with Auth0's standard paths, without fetching anything:
    /// `/authorize`, `/oauth/token`, `/userinfo`, `/oauth/revoke`, keys at
    /// `/.well-known/jwks.json`, no logout endpoint. Prefer [`discover`](Self::discover).
    ///
    /// # Errors
    /// [`Error::Config`] for a malformed domain.
    ///
    /// ```
    /// use axum_oauth_login::Auth0AppClient;
    /// let client = Auth0AppClient::new("login.example.com", "client-id", "client-secret")?;
    /// assert_eq!(client.provider().token_url.as_str(), "https://login.example.com/oauth/token");
    /// assert!(Auth0AppClient::new("login.example.com/path", "id", "secret").is_err());
    /// # Ok::<(), axum_oauth_login::Error>(())
    /// ```
    pub fn new(
        domain: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<Self, Error> {
        let issuer = issuer_of(domain)?;
        let at = |path: &str| {
            issuer
                .join(path)
                .map_err(|_| Error::Config("the Auth0 domain is not a domain name".into()))
        };
        let config = ProviderConfig {
            name: "auth0",
            auth_url: at("authorize")?,
            token_url: at("oauth/token")?,
            userinfo_url: Some(at("userinfo")?),
            revocation_url: Some(at("oauth/revoke")?),
            end_session_url: None,
            oidc: Some(OidcConfig {
                issuer: issuer.as_str().to_owned(),
                jwks_url: at(".well-known/jwks.json")?,
                backchannel_logout: true,
            }),
            scopes: scopes(&["openid", "profile", "email"]),
            id_key: "sub".to_owned(),
            auth_method: AuthMethod::Basic,
            iss_parameter: false,
            par_url: None,
            require_par: false,
            dpop: false,
            extra_auth_params: Vec::new(),
        };
        Ok(Self(Client::new(
            config,
            client_id,
            Some(client_secret.into()),
        )))
    }

    /// [`discover`](Self::discover) with `AUTH0_DOMAIN`, `AUTH_CLIENT_ID` and
    /// `AUTH_CLIENT_SECRET` from the environment.
    ///
    /// # Errors
    /// [`Error::Config`] naming a missing variable, and the errors of
    /// [`discover`](Self::discover).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # if std::env::var_os("AUTH0_DOMAIN").is_none() {
    /// let error = axum_oauth_login::Auth0AppClient::from_env().await.unwrap_err();
    /// assert_eq!(error.code(), "config");
    /// # }
    /// # });
    /// ```
    pub async fn from_env() -> Result<Self, Error> {
        let domain = env_var("AUTH0_DOMAIN")?;
        let (id, secret) = credentials_from_env("AUTH_CLIENT_ID", "AUTH_CLIENT_SECRET")?;
        Self::discover(&domain, id, secret).await
    }
}

/// `https://{domain}/`: Auth0's issuer, with the trailing slash.
pub(super) fn issuer_of(domain: &str) -> Result<Url, Error> {
    let bad = || Error::Config("the Auth0 domain is not a domain name".into());
    let domain = domain.trim();
    let text = if domain.contains("://") {
        domain.to_owned()
    } else {
        format!("https://{domain}")
    };
    let mut url = Url::parse(&text).map_err(|_| bad())?;
    let secure = url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url));
    if !secure {
        return Err(Error::Config(
            "the Auth0 domain must be reached over https".into(),
        ));
    }
    if url.host().is_none()
        || !matches!(url.path(), "" | "/")
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(bad());
    }
    url.set_path("/");
    Ok(url)
}
