//! What a provider is: its description ([`ProviderConfig`]: endpoints, scopes, the user id's key)
//! and what it does differently from the standard ([`Provider`]: the issuer rule, scope lists,
//! user info fix-ups, revocation, a minted secret, routes of its own). Every built-in provider is
//! one module of [`provider`](crate::provider) implementing [`Provider`]; users reach these items
//! there.

use std::future::Future;
use std::pin::Pin;

use serde_json::{Map, Value};
use url::Url;

use crate::http::HttpClient;
use crate::{Error, UserInfo};

/// How the client authenticates at the token endpoint.
///
/// ```
/// use axum_oauth_login::provider::AuthMethod;
/// assert_eq!(AuthMethod::default(), AuthMethod::Basic);
/// let client = axum_oauth_login::GitHubAppClient::new("id", "secret");
/// assert_eq!(client.provider().auth_method, AuthMethod::Post);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMethod {
    /// `client_secret_basic`: HTTP Basic (the default of RFC 6749).
    #[default]
    Basic,
    /// `client_secret_post`: `client_id` and `client_secret` in the form body.
    Post,
    /// `private_key_jwt` (RFC 7523): a JWT signed with the client's key in the form body, no
    /// secret; set by [`Client::with_private_key`](crate::Client::with_private_key).
    PrivateKeyJwt,
}

/// What a discovery document lists for client authentication at the token endpoint (kept by a
/// discovered client to pick its method and algorithm).
#[derive(Debug, Default)]
pub(crate) struct AuthSupport {
    /// `token_endpoint_auth_methods_supported`.
    pub(crate) methods: Option<Vec<String>>,
    /// `token_endpoint_auth_signing_alg_values_supported`.
    pub(crate) signing_algs: Option<Vec<String>>,
}

/// OpenID Connect specifics: ID tokens are verified when this is set.
///
/// ```
/// let client = axum_oauth_login::GoogleAppClient::new("id", "secret");
/// let oidc = client.provider().oidc.as_ref().unwrap();
/// assert_eq!(oidc.issuer, "https://accounts.google.com");
/// assert_eq!(oidc.jwks_url.as_str(), "https://www.googleapis.com/oauth2/v3/certs");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcConfig {
    /// The issuer (`iss`) the ID tokens must carry, exactly.
    pub issuer: String,
    /// Where the provider publishes its signing keys.
    pub jwks_url: Url,
    /// Whether the provider sends back-channel logout tokens (OpenID Connect Back-Channel Logout
    /// 1.0; discovery's `backchannel_logout_supported`): the app's endpoint for them is on by
    /// default only then (see [`OAuthBuilder::backchannel_logout`](crate::OAuthBuilder::backchannel_logout)).
    pub backchannel_logout: bool,
}

/// How a provider is reached and what it answers.
///
/// The provider clients (`GitHubAppClient`, ...) fill this in; build one yourself for a provider
/// this crate does not know (see [`Client::new`](crate::Client::new)), or change one with
/// [`Client::with_provider`](crate::Client::with_provider).
///
/// ```
/// let client = axum_oauth_login::DiscordAppClient::new("id", "secret");
/// let config = client.provider();
/// assert_eq!(config.token_url.as_str(), "https://discord.com/api/oauth2/token");
/// assert_eq!(config.scopes, ["identify", "email"]);
/// assert_eq!(config.id_key, "id");
/// ```
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// The provider key (`"github"`, `"google"`, `"entra"`, `"oidc"`, `"dev"`, ...), used in logs and errors.
    pub name: &'static str,
    /// The authorization endpoint (where the browser is sent).
    pub auth_url: Url,
    /// The token endpoint.
    pub token_url: Url,
    /// The user info endpoint, if user info is fetched there.
    pub userinfo_url: Option<Url>,
    /// The revocation endpoint (RFC 7009 or the provider's own).
    pub revocation_url: Option<Url>,
    /// The RP-initiated logout endpoint (`end_session_endpoint`).
    pub end_session_url: Option<Url>,
    /// Set for OpenID Connect providers whose ID tokens are verified.
    pub oidc: Option<OidcConfig>,
    /// The scopes asked for by default.
    pub scopes: Vec<String>,
    /// The key of the user's id in the user info (`sub`, or `id` on GitHub and Discord).
    pub id_key: String,
    /// How the client secret is sent to the token endpoint.
    pub auth_method: AuthMethod,
    /// True when the provider sends `iss` in the authorization response (RFC 9207).
    pub iss_parameter: bool,
    /// The pushed authorization request endpoint (RFC 9126; discovery's
    /// `pushed_authorization_request_endpoint`). When set, a login first posts its parameters
    /// there (authenticated as at the token endpoint), and the browser carries only `client_id`
    /// and the `request_uri` it got back; a failure there fails the login, with no fallback.
    pub par_url: Option<Url>,
    /// The provider refuses authorization requests that were not pushed (discovery's
    /// `require_pushed_authorization_requests`): a client without [`par_url`](Self::par_url)
    /// cannot start a login.
    pub require_par: bool,
    /// Sender-constrained tokens (DPoP, RFC 9449; discovery's `dpop_signing_alg_values_supported`
    /// lists ES256): each login gets a key pair when it starts, named in the authorization
    /// request (`dpop_jkt`) and kept with the tokens in the session store, and every token,
    /// refresh, user info and revocation request carries a proof signed with it.
    pub dpop: bool,
    /// Extra query parameters for the authorization request.
    pub extra_auth_params: Vec<(String, String)>,
}

impl ProviderConfig {
    /// Takes the endpoints (not the scopes, id key or quirks) of `other`.
    pub(crate) fn replace_endpoints(&mut self, other: ProviderConfig) {
        self.auth_url = other.auth_url;
        self.token_url = other.token_url;
        self.userinfo_url = other.userinfo_url;
        self.revocation_url = other.revocation_url;
        self.end_session_url = other.end_session_url;
        self.par_url = other.par_url;
        self.require_par = other.require_par;
        self.oidc = other.oidc;
    }
}

/// A future a [`Provider`] returns, boxed so that the trait works behind `dyn`.
pub type ProviderFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One provider: its description and what it does differently from the standard protocol.
///
/// Every method but [`config`](Self::config) has a default that follows the standards (OAuth 2,
/// OpenID Connect, RFC 7009), so a provider implements only its quirks. Each built-in provider is
/// one module of [`provider`](crate::provider) implementing this trait; implement it yourself for
/// a provider this crate does not know, and build its client with [`Client::from_provider`](crate::Client::from_provider).
/// A plain [`ProviderConfig`] is a provider without quirks.
///
/// The methods are called by the library during a login (never with a token in anything it
/// logs); `complete_user_info` may call the provider's API with the user's access token. The
/// `Debug` output is part of the client's: it must not print a secret or a key.
///
/// ```
/// use axum_oauth_login::provider::{AuthMethod, Provider, ProviderConfig};
/// use axum_oauth_login::{Client, UserInfo};
///
/// /// Codeberg (Forgejo): plain OAuth 2; the display name is `full_name`.
/// #[derive(Debug)]
/// struct Codeberg;
///
/// impl Provider for Codeberg {
///     fn config(&self) -> ProviderConfig {
///         ProviderConfig {
///             name: "codeberg",
///             auth_url: "https://codeberg.org/login/oauth/authorize".parse().unwrap(),
///             token_url: "https://codeberg.org/login/oauth/access_token".parse().unwrap(),
///             userinfo_url: Some("https://codeberg.org/api/v1/user".parse().unwrap()),
///             revocation_url: None,
///             end_session_url: None,
///             oidc: None,
///             scopes: vec!["read:user".into()],
///             id_key: "id".into(),
///             auth_method: AuthMethod::Post,
///             iss_parameter: false,
///             par_url: None,
///             require_par: false,
///             dpop: false,
///             extra_auth_params: vec![],
///         }
///     }
///
///     fn fix_user_info(&self, info: &mut UserInfo) {
///         if let Some(name) = info.raw.get("full_name").and_then(|n| n.as_str()) {
///             info.name = Some(name.to_owned());
///         }
///     }
/// }
///
/// let client = Client::from_provider(Codeberg, "client-id", Some("client-secret".into()));
/// assert_eq!(client.provider().name, "codeberg");
/// ```
pub trait Provider: std::fmt::Debug + Send + Sync + 'static {
    /// The provider's endpoints, scopes and user id key. Read once, when the client is built;
    /// [`Client::with_provider`](crate::Client::with_provider) edits the client's copy.
    fn config(&self) -> ProviderConfig;

    /// Whether an ID token's claims (signature, audience and times already checked) come from
    /// this provider, whose configured issuer is `configured`: by default `iss` equals it
    /// exactly. Google also spells its issuer without the scheme; Entra ID's multi-tenant issuer
    /// names the token's own tenant. The error is a fixed sentence for the login's error code.
    ///
    /// ```
    /// use axum_oauth_login::provider::Provider;
    /// use serde_json::json;
    /// let google = axum_oauth_login::GoogleAppClient::new("id", "secret");
    /// let config = google.provider().clone();
    /// let claims = |iss: &str| json!({ "iss": iss }).as_object().unwrap().clone();
    /// assert!(config.check_issuer("https://id.example", &claims("https://id.example")).is_ok());
    /// assert!(config.check_issuer("https://id.example", &claims("https://evil.example")).is_err());
    /// ```
    ///
    /// # Errors
    /// A fixed sentence saying why the issuer is not this provider's.
    fn check_issuer(
        &self,
        configured: &str,
        claims: &Map<String, Value>,
    ) -> Result<(), &'static str> {
        exact_issuer(configured, claims)
    }

    /// The scopes a token response grants, as listed there (split at spaces). GitHub separates
    /// them with commas.
    ///
    /// ```
    /// use axum_oauth_login::provider::Provider;
    /// let config = axum_oauth_login::HuggingFaceClient::new("id", "secret").provider().clone();
    /// assert_eq!(config.granted_scopes(vec!["openid".into()]), ["openid"]);
    /// ```
    fn granted_scopes(&self, listed: Vec<String>) -> Vec<String> {
        listed
    }

    /// The user info as read from the provider's answer, corrected where the provider names
    /// things its own way (Discord's `verified`, Entra ID's unverified `email`). Runs before
    /// [`complete_user_info`](Self::complete_user_info).
    ///
    /// ```
    /// use axum_oauth_login::provider::Provider;
    /// let config = axum_oauth_login::GitLabAppClient::new("id", "secret").provider().clone();
    /// let mut info = axum_oauth_login::UserInfo::from_claims("sub", serde_json::json!({"sub": "1"})).unwrap();
    /// config.fix_user_info(&mut info);
    /// assert_eq!(info.ident, "1");
    /// ```
    fn fix_user_info(&self, info: &mut UserInfo) {
        let _ = info;
    }

    /// Completes the user info with more calls to the provider's API, as GitHub's email
    /// verification needs (`/user/emails`). A failure here keeps the login going with what is
    /// known; `api` makes authenticated calls with the user's access token.
    fn complete_user_info<'a>(
        &'a self,
        info: &'a mut UserInfo,
        api: UserApi<'a>,
    ) -> ProviderFuture<'a, ()> {
        let _ = (info, api);
        Box::pin(std::future::ready(()))
    }

    /// Reads `user`, the unsigned JSON some providers post beside the code (Sign in with Apple's
    /// first-login name). Ignored by default.
    ///
    /// ```
    /// use axum_oauth_login::provider::Provider;
    /// let config = axum_oauth_login::GoogleAppClient::new("id", "secret").provider().clone();
    /// let mut info = axum_oauth_login::UserInfo::from_claims("sub", serde_json::json!({"sub": "1"})).unwrap();
    /// config.read_callback_user(&mut info, r#"{"name":{"firstName":"Eve"}}"#);
    /// assert_eq!(info.name, None);
    /// ```
    fn read_callback_user(&self, info: &mut UserInfo, user: &str) {
        let _ = (info, user);
    }

    /// Whether a revocation request authenticates the client as the token endpoint does (RFC
    /// 7009 §2.1). Google's revocation endpoint takes the token alone.
    ///
    /// ```
    /// use axum_oauth_login::provider::Provider;
    /// let config = axum_oauth_login::DiscordAppClient::new("id", "secret").provider().clone();
    /// assert!(config.revocation_authenticated());
    /// ```
    fn revocation_authenticated(&self) -> bool {
        true
    }

    /// The client secret to send now, given the registered one. Sign in with Apple mints a
    /// signed one instead.
    ///
    /// # Errors
    /// [`Error::Config`] when a secret cannot be produced (a key that no longer signs).
    ///
    /// ```
    /// use axum_oauth_login::provider::Provider;
    /// let config = axum_oauth_login::GitHubAppClient::new("id", "secret").provider().clone();
    /// assert_eq!(config.client_secret(Some("secret")).unwrap().as_deref(), Some("secret"));
    /// ```
    fn client_secret(&self, registered: Option<&str>) -> Result<Option<String>, Error> {
        Ok(registered.map(str::to_owned))
    }

    /// Routes the provider serves inside the app (the development provider's), with the path
    /// prefix they all live under (`/_dev/oauth/`). The builder mounts them once, beside the
    /// library's routes, and the guard leaves the prefix public.
    ///
    /// ```
    /// use axum_oauth_login::provider::Provider;
    /// let config = axum_oauth_login::GoogleAppClient::new("id", "secret").provider().clone();
    /// assert!(config.routes().is_none());
    /// ```
    fn routes(&self) -> Option<(&'static str, axum::Router)> {
        None
    }
}

/// The standard issuer rule: `iss` is `configured`, exactly.
pub(crate) fn exact_issuer(
    configured: &str,
    claims: &Map<String, Value>,
) -> Result<(), &'static str> {
    match claims.get("iss").and_then(Value::as_str) {
        Some(iss) if iss == configured => Ok(()),
        _ => Err("wrong issuer"),
    }
}

/// A provider with no quirks: its description alone.
impl Provider for ProviderConfig {
    fn config(&self) -> ProviderConfig {
        self.clone()
    }
}

/// Authenticated calls to the provider's API for [`Provider::complete_user_info`]: the user's
/// access token, on the library's HTTP client (timeouts, size cap, no redirects).
#[derive(Clone, Copy)]
pub struct UserApi<'a> {
    pub(crate) http: &'a HttpClient,
    pub(crate) access_token: &'a str,
    pub(crate) userinfo_url: Option<&'a Url>,
    /// The tokens' DPoP key, when they are bound to one, and the provider's nonces.
    pub(crate) dpop: Option<(&'a crate::dpop::DpopKey, &'a crate::dpop::Nonces)>,
}

impl std::fmt::Debug for UserApi<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserApi")
            .field("userinfo_url", &self.userinfo_url.map(Url::as_str))
            .finish_non_exhaustive()
    }
}

impl UserApi<'_> {
    /// The user info endpoint the answer came from (GitHub's `/user`), to find its neighbours.
    #[must_use]
    pub fn userinfo_url(&self) -> Option<&Url> {
        self.userinfo_url
    }

    /// GET `url` with the user's access token; the answer must be a JSON object or array.
    ///
    /// # Errors
    /// [`Error::UserInfo`] for an answer other than 2xx JSON, [`Error::Network`] when the
    /// provider cannot be reached.
    pub async fn get_json(&self, url: &Url) -> Result<Value, Error> {
        let build = |scheme: &str| {
            self.http
                .request(http::Method::GET, url.clone())
                .header(
                    http::header::AUTHORIZATION,
                    format!("{scheme} {}", self.access_token),
                )
                .header(http::header::ACCEPT, "application/json")
        };
        let response = match self.dpop {
            Some((key, nonces)) => {
                let call = crate::dpop::send(
                    self.http,
                    key,
                    nonces,
                    &http::Method::GET,
                    url,
                    Some(self.access_token),
                    || Some(build("DPoP")),
                );
                crate::telemetry::provider_call("userinfo", call).await?
            }
            None => {
                crate::telemetry::provider_call("userinfo", self.http.send(build("Bearer"))).await?
            }
        };
        if !response.status.is_success() {
            return Err(Error::UserInfo(format!(
                "HTTP {}",
                response.status.as_u16()
            )));
        }
        match response.json() {
            Some(value @ (Value::Object(_) | Value::Array(_))) => Ok(value),
            _ => Err(Error::UserInfo("the answer is not a JSON object".into())),
        }
    }
}
