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

    /// The issuer of a user's provider, looked up from what the user typed (OpenID Connect
    /// Discovery 1.0 §2, WebFinger): an address such as `joe@example.com` (`acct:` URI), or a URL
    /// or host such as `example.com/joe`. The host named there answers at
    /// `/.well-known/webfinger` with the issuer, which [`discover`](Self::discover) then takes.
    ///
    /// The query goes over https (plain http only to a loopback host, for tests), and an issuer
    /// that is not an https URL (or http on loopback) is refused.
    ///
    /// # Errors
    /// [`Error::Config`] for input that names no host; [`Error::Discovery`] when the host does not
    /// answer with an issuer; [`Error::Network`] when it cannot be reached.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), axum_oauth_login::Error> {
    /// use axum_oauth_login::OidcClient;
    /// let issuer = OidcClient::issuer_for("joe@example.com").await?;
    /// let client = OidcClient::discover(&issuer, "client-id", "client-secret").await?;
    /// # Ok(()) }
    /// ```
    #[tracing::instrument(skip_all)]
    pub async fn issuer_for(identifier: &str) -> Result<String, Error> {
        webfinger_issuer(&HttpClient::shared(), identifier).await
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

/// The `rel` of the issuer link in a WebFinger answer (Discovery §2).
const ISSUER_REL: &str = "http://openid.net/specs/connect/1.0/issuer";

/// The WebFinger `resource` and the URL of the host to ask, from what a user typed (Discovery
/// §2.1.2): an `acct:` URI for `user@host` (the host after the last `@`), else a URL (https when
/// it has no scheme) without its fragment.
pub(super) fn webfinger_query(identifier: &str) -> Result<(String, Url), Error> {
    let invalid = || Error::Config("the identifier names no host to ask for its issuer".into());
    let identifier = identifier.trim();
    let url_like = identifier.contains("://");
    let (resource, host) =
        if identifier.starts_with("acct:") || (!url_like && identifier.contains('@')) {
            let resource = if identifier.starts_with("acct:") {
                identifier.to_owned()
            } else {
                format!("acct:{identifier}")
            };
            let host = resource
                .rsplit_once('@')
                .map_or("", |(_, host)| host)
                .to_owned();
            (resource, host)
        } else {
            let mut url = if url_like {
                Url::parse(identifier)
            } else {
                Url::parse(&format!("https://{identifier}"))
            }
            .map_err(|_| invalid())?;
            url.set_fragment(None);
            let host = match (url.host_str(), url.port()) {
                (Some(host), Some(port)) => format!("{host}:{port}"),
                (Some(host), None) => host.to_owned(),
                (None, _) => String::new(),
            };
            (url.to_string(), host)
        };
    let mut endpoint = Url::parse(&format!("https://{host}/.well-known/webfinger"))
        .ok()
        .filter(|url| !host.is_empty() && url.host_str().is_some_and(|h| !h.is_empty()))
        .ok_or_else(invalid)?;
    if is_loopback(&endpoint) {
        endpoint.set_scheme("http").map_err(|()| invalid())?;
    }
    Ok((resource, endpoint))
}

/// Asks the host `identifier` names for the issuer of its user (WebFinger, RFC 7033).
pub(crate) async fn webfinger_issuer(http: &HttpClient, identifier: &str) -> Result<String, Error> {
    #[derive(Deserialize)]
    struct Jrd {
        #[serde(default)]
        links: Vec<Link>,
    }
    #[derive(Deserialize)]
    struct Link {
        rel: String,
        #[serde(default)]
        href: Option<String>,
    }
    let (resource, mut endpoint) = webfinger_query(identifier)?;
    endpoint
        .query_pairs_mut()
        .append_pair("resource", &resource)
        .append_pair("rel", ISSUER_REL);
    let response = http
        .send(http.request(http::Method::GET, endpoint).header(
            http::header::ACCEPT,
            "application/jrd+json, application/json",
        ))
        .await?;
    if !response.status.is_success() {
        return Err(Error::Discovery(format!(
            "WebFinger answered HTTP {}",
            response.status.as_u16()
        )));
    }
    let jrd: Jrd = serde_json::from_slice(&response.body)
        .map_err(|_| Error::Discovery("the WebFinger answer is not a JRD document".into()))?;
    let issuer = jrd
        .links
        .into_iter()
        .find(|link| link.rel == ISSUER_REL)
        .and_then(|link| link.href)
        .ok_or_else(|| Error::Discovery("the WebFinger answer names no issuer".into()))?;
    let url = Url::parse(&issuer)
        .map_err(|_| Error::Discovery("the WebFinger issuer is not a URL".into()))?;
    if url.scheme() != "https" && !(url.scheme() == "http" && is_loopback(&url)) {
        return Err(Error::Discovery(
            "the WebFinger issuer is not an https URL".into(),
        ));
    }
    Ok(issuer)
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
