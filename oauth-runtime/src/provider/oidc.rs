//! Any OpenID Connect provider, configured by discovery.

use serde::Deserialize;
use url::Url;

use super::{AuthMethod, OidcConfig, ProviderConfig, env_var, scopes};
use crate::http::HttpClient;
use crate::spec::AuthSupport;
use crate::{Client, Error};

/// "Sign in with" any OpenID Connect provider (Keycloak, Auth0, Okta, Entra ID, GitLab,
/// `oidc-provider`, ...), configured from its discovery document.
///
/// Unlike the other provider types this one only builds: [`discover`](Self::discover) and
/// [`from_env`](Self::from_env) return a plain [`Client`], so that an app can pick between it and
/// another client at run time.
///
/// Scopes `openid email profile`; the user's id is `sub`. ID tokens are verified against the
/// provider's published keys; the user info comes from its user info endpoint when it has one.
///
/// ```no_run
/// # async fn run() -> Result<(), axum_oauth_login::Error> {
/// use axum_oauth_login::OidcClient;
/// let client = OidcClient::discover("https://id.example.com", "client-id", "client-secret").await?;
/// assert_eq!(client.id_key(), "sub");
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct OidcClient;

/// The parts of the discovery document (OpenID Connect Discovery 1.0 §3) used here.
#[derive(Deserialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: Url,
    token_endpoint: Url,
    #[serde(default)]
    userinfo_endpoint: Option<Url>,
    jwks_uri: Url,
    #[serde(default)]
    revocation_endpoint: Option<Url>,
    #[serde(default)]
    end_session_endpoint: Option<Url>,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
    #[serde(default)]
    token_endpoint_auth_signing_alg_values_supported: Option<Vec<String>>,
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
    #[serde(default)]
    backchannel_logout_supported: bool,
    #[serde(default)]
    pushed_authorization_request_endpoint: Option<Url>,
    #[serde(default)]
    require_pushed_authorization_requests: bool,
    #[serde(default)]
    dpop_signing_alg_values_supported: Vec<String>,
}

impl OidcClient {
    /// Fetches `{issuer}/.well-known/openid-configuration` and builds a client from it.
    ///
    /// The document must name exactly `issuer` as its issuer. The client authenticates with
    /// HTTP Basic unless the provider supports only `client_secret_post`, and expects `iss` in
    /// the authorization response when the provider announces it (RFC 9207). `issuer` must be
    /// `https`, except on a loopback host (`localhost`, `127.0.0.1`, `::1`).
    ///
    /// # Errors
    /// [`Error::Config`] for an unusable issuer URL, [`Error::Network`] when the document
    /// cannot be fetched, [`Error::Discovery`] when it is not a usable discovery document or names
    /// another issuer.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), axum_oauth_login::Error> {
    /// let client = axum_oauth_login::OidcClient::discover("https://accounts.google.com", "id", "secret").await?;
    /// assert_eq!(client.provider().name, "oidc");
    /// # Ok(()) }
    /// ```
    #[tracing::instrument(skip_all, fields(issuer = %issuer))]
    pub async fn discover(
        issuer: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<Client, Error> {
        let (config, auth) = discover_document(&HttpClient::shared(), issuer).await?;
        Ok(Client::new(config, client_id, Some(client_secret.into())).discovered_now(auth))
    }

    /// [`discover`](Self::discover) with `OIDC_ISSUER`, `OIDC_CLIENT_ID` and
    /// `OIDC_CLIENT_SECRET` from the environment; with `OIDC_CLIENT_KEY` (a P-256 or RSA private
    /// key, PEM or JWK text; see [`ClientKey`](crate::ClientKey)), the client authenticates with
    /// it (`private_key_jwt`, [`Client::with_private_key`]) and needs no secret;
    /// `OIDC_CLIENT_KEY_ALG` (`RS256`, `PS256`) picks an RSA key's algorithm.
    ///
    /// # Errors
    /// [`Error::Config`] naming a missing variable or for an unusable key, and the errors of
    /// [`discover`](Self::discover).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # if std::env::var_os("OIDC_ISSUER").is_none() {
    /// let error = axum_oauth_login::OidcClient::from_env().await.unwrap_err();
    /// assert_eq!(error.code(), "config");
    /// # }
    /// # });
    /// ```
    pub async fn from_env() -> Result<Client, Error> {
        let issuer = env_var("OIDC_ISSUER")?;
        let client_id = env_var("OIDC_CLIENT_ID")?;
        let key = env_var("OIDC_CLIENT_KEY")
            .ok()
            .map(|key| crate::ClientKey::from_text(&key))
            .transpose()?;
        let key = match (key, env_var("OIDC_CLIENT_KEY_ALG")) {
            (Some(key), Ok(alg)) => Some(key.with_algorithm(&alg)?),
            (key, _) => key,
        };
        let client_secret = match (&key, env_var("OIDC_CLIENT_SECRET")) {
            (_, Ok(secret)) => secret,
            (Some(_), Err(_)) => String::new(),
            (None, Err(missing)) => return Err(missing),
        };
        let client = Self::discover(&issuer, client_id, client_secret).await?;
        Ok(match key {
            Some(key) => client.with_private_key(key),
            None => client,
        })
    }
}

pub(super) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The description `issuer`'s discovery document gives.
pub(crate) async fn discover_config(
    http: &HttpClient,
    issuer: &str,
) -> Result<ProviderConfig, Error> {
    Ok(discover_document(http, issuer).await?.0)
}

/// The description `issuer`'s discovery document gives, and what it lists for client
/// authentication.
pub(crate) async fn discover_document(
    http: &HttpClient,
    issuer: &str,
) -> Result<(ProviderConfig, AuthSupport), Error> {
    let issuer_url = Url::parse(issuer)
        .map_err(|_| Error::Config("the OpenID Connect issuer is not a URL".into()))?;
    if issuer_url.scheme() != "https"
        && !(issuer_url.scheme() == "http" && is_loopback(&issuer_url))
    {
        return Err(Error::Config(
            "the OpenID Connect issuer must be an https URL".into(),
        ));
    }
    if issuer_url.query().is_some() || issuer_url.fragment().is_some() {
        return Err(Error::Config(
            "the OpenID Connect issuer has a query or a fragment".into(),
        ));
    }
    // Discovery §4: the issuer without its trailing slash, then the well-known path.
    let document = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let document = Url::parse(&document)
        .map_err(|_| Error::Config("the OpenID Connect issuer is not a URL".into()))?;
    let response = http
        .send(
            http.request(http::Method::GET, document)
                .header(http::header::ACCEPT, "application/json"),
        )
        .await?;
    if !response.status.is_success() {
        return Err(Error::Discovery(format!(
            "HTTP {}",
            response.status.as_u16()
        )));
    }
    let metadata: Metadata = serde_json::from_slice(&response.body).map_err(|_| {
        Error::Discovery(
            "not a discovery document (a required endpoint is missing or malformed)".into(),
        )
    })?;
    // Discovery §4.3: a document naming another issuer is not this issuer's.
    if metadata.issuer != issuer {
        return Err(Error::Discovery("the document names another issuer".into()));
    }
    let auth_method = match &metadata.token_endpoint_auth_methods_supported {
        Some(methods)
            if !methods.iter().any(|m| m == "client_secret_basic")
                && methods.iter().any(|m| m == "client_secret_post") =>
        {
            AuthMethod::Post
        }
        _ => AuthMethod::Basic,
    };
    let config = ProviderConfig {
        name: "oidc",
        auth_url: metadata.authorization_endpoint,
        token_url: metadata.token_endpoint,
        userinfo_url: metadata.userinfo_endpoint,
        revocation_url: metadata.revocation_endpoint,
        end_session_url: metadata.end_session_endpoint,
        oidc: Some(OidcConfig {
            issuer: metadata.issuer,
            jwks_url: metadata.jwks_uri,
            backchannel_logout: metadata.backchannel_logout_supported,
        }),
        scopes: scopes(&["openid", "email", "profile"]),
        id_key: "sub".to_owned(),
        auth_method,
        iss_parameter: metadata.authorization_response_iss_parameter_supported,
        require_par: metadata.require_pushed_authorization_requests,
        dpop: metadata
            .dpop_signing_alg_values_supported
            .iter()
            .any(|alg| alg == crate::dpop::ALG),
        par_url: metadata.pushed_authorization_request_endpoint,
        extra_auth_params: Vec::new(),
    };
    let support = AuthSupport {
        methods: metadata.token_endpoint_auth_methods_supported,
        signing_algs: metadata.token_endpoint_auth_signing_alg_values_supported,
    };
    Ok((config, support))
}
