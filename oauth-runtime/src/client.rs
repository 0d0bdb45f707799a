//! The provider client: login links, code exchange, user info, refresh, revocation.
//!
//! The OAuth 2 requests (authorization URL, code and refresh-token grants) go through the
//! `oauth2` crate; user info, revocation and the ID token's keys are plain requests on the same
//! HTTP client (see `http.rs`: no redirects, timeouts, a `User-Agent`, a 1 MiB body cap).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, StandardRevocableToken, StandardTokenResponse, TokenResponse as _,
    TokenUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client_key::ClientKey;
use crate::http::{HttpClient, HttpError};
use crate::jwks::{self, Expected, Jwks};
use crate::spec::{AuthMethod, Provider, ProviderConfig, UserApi};
use crate::{Error, Tokens, UserInfo};

/// The token response: the standard fields plus OpenID Connect's `id_token`.
type TokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;

/// oauth2's client with an authorization and a token endpoint (its typestates, named once).
type OAuth2Client = oauth2::Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// `id_token` of a token response (OpenID Connect Core 3.1.3.3).
#[derive(Clone, Deserialize, Serialize)]
struct IdTokenField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

impl fmt::Debug for IdTokenField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdTokenField")
            .field("id_token", &self.id_token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// Parameters of the authorization request that `extra_auth_params` may not override.
const RESERVED_AUTH_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "dpop_jkt",
];

/// A client of one OAuth 2 / OpenID Connect provider. Cheap to clone; shared by all users.
///
/// It holds no user's token: tokens are returned to the caller and kept in that user's session.
/// It does hold the provider's signing keys once fetched (OpenID Connect), and one HTTP client
/// shared by the whole process.
///
/// ```
/// use axum_oauth_login::{Client, GitHubAppClient};
/// let client: Client = GitHubAppClient::new("client-id", "client-secret").into();
/// assert_eq!(client.id_key(), "id");
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<ClientInner>,
}

pub(crate) struct ClientInner {
    /// The provider's description, as edited by `with_provider`.
    pub(crate) config: ProviderConfig,
    /// The provider's behaviour: its quirks (see `spec.rs`).
    provider: Arc<dyn Provider>,
    pub(crate) client_id: String,
    client_secret: Option<String>,
    pub(crate) http: HttpClient,
    /// The provider's signing keys, when ID tokens are verified.
    pub(crate) jwks: Option<Jwks>,
    jwks_policy: jwks::Policy,
    /// The description as the provider's discovery document gave it, and when (`None`: written
    /// in the code).
    pub(crate) discovered: Option<Arc<Discovered>>,
    /// The key of `private_key_jwt` client authentication.
    client_key: Option<ClientKey>,
    /// The nonces the provider gave for DPoP proofs.
    dpop_nonces: Arc<crate::dpop::Nonces>,
}

/// A description read from a discovery document.
#[derive(Debug)]
pub(crate) struct Discovered {
    pub(crate) at: SystemTime,
    pub(crate) config: ProviderConfig,
    /// The document's `token_endpoint_auth_methods_supported`, when it has one.
    pub(crate) auth_methods: Option<Vec<String>>,
    /// The document's `token_endpoint_auth_signing_alg_values_supported`, when it has one.
    pub(crate) auth_signing_algs: Option<Vec<String>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Client")
            .field("provider", &inner.provider)
            .field("client_id", &inner.client_id)
            .field(
                "client_secret",
                &inner.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("config", &inner.config)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for ClientInner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientInner")
            .field("config", &self.config)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client of the provider described by `config`. The provider clients
    /// ([`GoogleAppClient`](crate::GoogleAppClient), ...) call this with their own configuration;
    /// call it yourself for a provider this crate does not know.
    ///
    /// ```
    /// use axum_oauth_login::Client;
    /// use axum_oauth_login::provider::{AuthMethod, ProviderConfig};
    /// let config = ProviderConfig {
    ///     name: "codeberg",
    ///     auth_url: "https://codeberg.org/login/oauth/authorize".parse().unwrap(),
    ///     token_url: "https://codeberg.org/login/oauth/access_token".parse().unwrap(),
    ///     userinfo_url: Some("https://codeberg.org/api/v1/user".parse().unwrap()),
    ///     revocation_url: None,
    ///     end_session_url: None,
    ///     oidc: None,
    ///     scopes: vec!["read:user".into()],
    ///     id_key: "id".into(),
    ///     auth_method: AuthMethod::Post,
    ///     iss_parameter: false,
    ///     par_url: None,
    ///     require_par: false,
    ///     dpop: false,
    ///     extra_auth_params: vec![],
    /// };
    /// let client = Client::new(config, "client-id", Some("client-secret".into()));
    /// assert_eq!(client.provider().name, "codeberg");
    /// ```
    #[must_use]
    pub fn new(
        config: ProviderConfig,
        client_id: impl Into<String>,
        client_secret: Option<String>,
    ) -> Self {
        Self::from_provider(config, client_id, client_secret)
    }

    /// A client of `provider`, a type describing a provider and its quirks (see
    /// [`Provider`], whose example builds one).
    ///
    /// ```
    /// use axum_oauth_login::Client;
    /// # let config = axum_oauth_login::GitHubAppClient::new("id", "s").provider().clone();
    /// let client = Client::from_provider(config, "client-id", Some("client-secret".into()));
    /// assert_eq!(client.client_id(), "client-id");
    /// ```
    #[must_use]
    pub fn from_provider(
        provider: impl Provider,
        client_id: impl Into<String>,
        client_secret: Option<String>,
    ) -> Self {
        Self::build(
            provider.config(),
            Arc::new(provider),
            client_id.into(),
            client_secret,
            HttpClient::shared(),
            jwks::Policy::default(),
        )
    }

    pub(crate) fn build(
        config: ProviderConfig,
        provider: Arc<dyn Provider>,
        client_id: String,
        client_secret: Option<String>,
        http: HttpClient,
        jwks_policy: jwks::Policy,
    ) -> Self {
        let jwks = config
            .oidc
            .as_ref()
            .map(|oidc| Jwks::new(oidc.jwks_url.clone(), jwks_policy));
        Self {
            inner: Arc::new(ClientInner {
                config,
                provider,
                client_id,
                client_secret,
                http,
                jwks,
                jwks_policy,
                discovered: None,
                client_key: None,
                dpop_nonces: Arc::default(),
            }),
        }
    }

    /// This client, noted as described by the discovery document read just now, with what it
    /// listed for client authentication at the token endpoint.
    pub(crate) fn discovered_now(mut self, auth: crate::spec::AuthSupport) -> Self {
        let discovered = Discovered {
            at: SystemTime::now(),
            config: self.inner.config.clone(),
            auth_methods: auth.methods,
            auth_signing_algs: auth.signing_algs,
        };
        self.carry(Some(Arc::new(discovered)), None);
        self
    }

    /// Sets what a rebuilt client keeps of the one it replaces.
    fn carry(&mut self, discovered: Option<Arc<Discovered>>, client_key: Option<ClientKey>) {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.discovered = discovered;
            inner.client_key = client_key;
        }
    }

    /// This client, authenticating with `key` (`private_key_jwt`, RFC 7523) instead of a secret
    /// at the token, pushed authorization request and revocation endpoints: each request carries
    /// a JWT signed with the key, valid for a minute. Register the key's public half with the
    /// provider. A client found by discovery switches only when the provider lists
    /// `private_key_jwt` among its `token_endpoint_auth_methods_supported` (or lists none);
    /// otherwise it keeps its secret, with a warning.
    ///
    /// ```
    /// use axum_oauth_login::{ClientKey, provider::AuthMethod};
    /// # use p256::pkcs8::EncodePrivateKey as _;
    /// # let pem = p256::SecretKey::from_slice(&[7; 32]).unwrap().to_pkcs8_pem(Default::default()).unwrap();
    /// let key = ClientKey::from_pem(&pem)?;
    /// let client: axum_oauth_login::Client = axum_oauth_login::GoogleAppClient::new("id", "").into();
    /// let client = client.with_private_key(key);
    /// assert_eq!(client.provider().auth_method, AuthMethod::PrivateKeyJwt);
    /// # Ok::<(), axum_oauth_login::Error>(())
    /// ```
    #[must_use]
    pub fn with_private_key(self, key: ClientKey) -> Self {
        if let Some(methods) = self.discovered().and_then(|d| d.auth_methods.as_ref())
            && !methods.iter().any(|m| m == "private_key_jwt")
        {
            tracing::warn!(
                provider = self.inner.config.name,
                "the provider does not offer private_key_jwt: the client keeps its secret"
            );
            return self;
        }
        // An RSA key signs with the algorithm the provider lists (RS256 or PS256).
        let key = match self
            .discovered()
            .and_then(|d| d.auth_signing_algs.as_deref())
        {
            Some(algs) => key.fit(algs),
            None => key,
        };
        let mut config = self.inner.config.clone();
        config.auth_method = AuthMethod::PrivateKeyJwt;
        let mut client = self.rebuild(config, self.inner.provider.clone(), self.inner.jwks_policy);
        let discovered = client.inner.discovered.clone();
        client.carry(discovered, Some(key));
        client
    }

    /// A fresh client assertion, for a client authenticating with `private_key_jwt`; its
    /// audience is the provider's issuer (the token endpoint for a provider without one).
    fn assertion(&self) -> Result<String, Error> {
        let inner = &self.inner;
        let key = inner.client_key.as_ref().ok_or_else(|| {
            Error::Config("private_key_jwt needs a key (Client::with_private_key)".into())
        })?;
        let audience = match &inner.config.oidc {
            Some(oidc) => oidc.issuer.as_str(),
            None => inner.config.token_url.as_str(),
        };
        key.assertion(&inner.client_id, audience)
    }

    /// The description read from the discovery document, when it was.
    pub(crate) fn discovered(&self) -> Option<&Discovered> {
        self.inner.discovered.as_deref()
    }

    /// The provider's description (endpoints, scopes, id key).
    ///
    /// ```
    /// let client = axum_oauth_login::GoogleAppClient::new("id", "secret");
    /// assert_eq!(client.provider().token_url.as_str(), "https://oauth2.googleapis.com/token");
    /// ```
    #[must_use]
    pub fn provider(&self) -> &ProviderConfig {
        &self.inner.config
    }

    /// The key of the user's id in the provider's user info: FastHTML's `client.id_key`
    /// (`sub`, or `id` on GitHub and Discord).
    ///
    /// ```
    /// let client = axum_oauth_login::DiscordAppClient::new("id", "secret");
    /// assert_eq!(client.id_key(), "id");
    /// ```
    #[must_use]
    pub fn id_key(&self) -> &str {
        &self.inner.config.id_key
    }

    /// The client id registered at the provider.
    ///
    /// ```
    /// let client = axum_oauth_login::HuggingFaceClient::new("my-app", "secret");
    /// assert_eq!(client.client_id(), "my-app");
    /// ```
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The same client with its provider description changed by `edit` (endpoints, scopes,
    /// extra authorization parameters). The signing keys are fetched anew.
    ///
    /// ```
    /// let client = axum_oauth_login::GoogleAppClient::new("id", "secret");
    /// let client = client.with_provider(|p| p.extra_auth_params.push(("hd".into(), "example.com".into())));
    /// assert_eq!(client.provider().extra_auth_params.len(), 1);
    /// ```
    #[must_use]
    pub fn with_provider(self, edit: impl FnOnce(&mut ProviderConfig)) -> Self {
        let inner = &self.inner;
        let mut config = inner.config.clone();
        edit(&mut config);
        self.rebuild(config, inner.provider.clone(), inner.jwks_policy)
    }

    /// The same credentials and HTTP client with this description, behaviour and key policy
    /// (the signing keys are fetched anew).
    fn rebuild(
        &self,
        config: ProviderConfig,
        provider: Arc<dyn Provider>,
        jwks_policy: jwks::Policy,
    ) -> Self {
        let inner = &self.inner;
        let mut client = Self::build(
            config,
            provider,
            inner.client_id.clone(),
            inner.client_secret.clone(),
            inner.http.clone(),
            jwks_policy,
        );
        client.carry(inner.discovered.clone(), inner.client_key.clone());
        client
    }

    /// The same client (description and credentials) with `provider`'s behaviour: how Entra ID's
    /// tenant list is changed.
    pub(crate) fn replace_provider(self, provider: impl Provider) -> Self {
        let inner = &self.inner;
        self.rebuild(inner.config.clone(), Arc::new(provider), inner.jwks_policy)
    }

    /// The routes the provider serves inside the app (the development provider's).
    pub(crate) fn provider_routes(&self) -> Option<(&'static str, axum::Router)> {
        self.inner.provider.routes()
    }

    /// Reads the unsigned `user` posted beside the code (Apple's first-login name).
    pub(crate) fn read_callback_user(&self, info: &mut UserInfo, user: &str) {
        self.inner.provider.read_callback_user(info, user);
    }

    /// The same client with its key policy changed by `edit` (the keys are fetched anew).
    fn with_jwks_policy(self, edit: impl FnOnce(&mut jwks::Policy)) -> Self {
        let inner = &self.inner;
        let mut policy = inner.jwks_policy;
        edit(&mut policy);
        self.rebuild(inner.config.clone(), inner.provider.clone(), policy)
    }

    /// For tests, not part of the API: the same client refreshing the provider's signing keys
    /// once they are older than `max_age` instead of an hour, so that a test does not wait an
    /// hour. The keys are fetched anew.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let client: axum_oauth_login::Client = axum_oauth_login::GoogleAppClient::new("id", "secret").into();
    /// let client = client.__with_jwks_max_age(Duration::ZERO);
    /// assert_eq!(client.client_id(), "id");
    /// ```
    #[doc(hidden)]
    #[must_use]
    pub fn __with_jwks_max_age(self, max_age: Duration) -> Self {
        self.with_jwks_policy(|policy| policy.max_age = max_age)
    }

    /// For tests: the same client no longer using cached provider keys once they are older than
    /// `max_stale` instead of a day, when they cannot be refreshed.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let client: axum_oauth_login::Client = axum_oauth_login::GoogleAppClient::new("id", "secret").into();
    /// let client = client.__with_jwks_max_stale(Duration::from_secs(60));
    /// assert_eq!(client.client_id(), "id");
    /// ```
    #[doc(hidden)]
    #[must_use]
    pub fn __with_jwks_max_stale(self, max_stale: Duration) -> Self {
        self.with_jwks_policy(|policy| policy.max_stale = max_stale)
    }

    /// The same client accepting unsigned ID tokens (`"alg": "none"`) from the token endpoint,
    /// as OpenID Connect Core §3.1.3.7 allows for a client registered with
    /// `id_token_signed_response_alg=none`: the ID token then comes only over the TLS connection
    /// to the token endpoint, which stands for the signature. Every other check stays (`iss`,
    /// `aud`, `azp`, `exp`, `iat`, `nonce`, `sub`), a signed ID token is verified as always, and a
    /// back-channel logout token must be signed whatever this says.
    ///
    /// # Warning
    /// Off by default, and to be left off unless the provider registered the client that way:
    /// with it, whoever can answer for the token endpoint (a proxy that terminates TLS, a token
    /// endpoint on plain HTTP) can log in as anyone.
    ///
    /// ```
    /// use axum_oauth_login::Client;
    /// let client = Client::from(axum_oauth_login::GoogleAppClient::new("id", "secret"));
    /// let client = client.allow_unsigned_id_tokens();
    /// assert_eq!(client.client_id(), "id");
    /// ```
    #[must_use]
    pub fn allow_unsigned_id_tokens(self) -> Self {
        self.with_jwks_policy(|policy| policy.unsigned_id_tokens = true)
    }

    /// The same client asking for `scopes` instead of the provider's defaults.
    ///
    /// ```
    /// let client = axum_oauth_login::GitHubAppClient::new("id", "secret").with_scopes(["read:user"]);
    /// assert_eq!(client.provider().scopes, ["read:user"]);
    /// ```
    #[must_use]
    pub fn with_scopes<I, S>(self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes = scopes.into_iter().map(Into::into).collect();
        self.with_provider(|config| config.scopes = scopes)
    }

    /// oauth2's client without the secret: enough for the authorization URL.
    fn oauth2(&self) -> OAuth2Client {
        let inner = &self.inner;
        oauth2::Client::new(ClientId::new(inner.client_id.clone()))
            .set_auth_uri(AuthUrl::from_url(inner.config.auth_url.clone()))
            .set_token_uri(TokenUrl::from_url(inner.config.token_url.clone()))
            .set_auth_type(match inner.config.auth_method {
                AuthMethod::Basic => AuthType::BasicAuth,
                AuthMethod::Post | AuthMethod::PrivateKeyJwt => AuthType::RequestBody,
            })
    }

    /// oauth2's client with the secret, for token requests (a signed secret is minted here).
    fn oauth2_authenticated(&self) -> Result<OAuth2Client, Error> {
        let client = self.oauth2();
        let inner = &self.inner;
        if inner.config.auth_method == AuthMethod::PrivateKeyJwt {
            // The assertion goes in each request (`assertion_params`); `client_id` in the body.
            return Ok(client);
        }
        Ok(
            match inner
                .provider
                .client_secret(inner.client_secret.as_deref())?
            {
                Some(secret) => client.set_client_secret(ClientSecret::new(secret)),
                None => client,
            },
        )
    }

    /// The authorization URL for one pending login: `state`, PKCE S256 challenge of
    /// `pkce_verifier`, `nonce` (OpenID Connect), the exact `redirect_uri`.
    pub(crate) fn authorize_url(
        &self,
        redirect_uri: &str,
        state: &str,
        pkce_verifier: &str,
        nonce: Option<&str>,
        extra: &[(String, String)],
    ) -> Result<url::Url, Error> {
        let config = &self.inner.config;
        let redirect = redirect_url(redirect_uri)?;
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
            pkce_verifier.to_owned(),
        ));
        let client = self.oauth2();
        let state = state.to_owned();
        let mut request = client
            .authorize_url(move || CsrfToken::new(state))
            .add_scopes(config.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .set_redirect_uri(Cow::Owned(redirect));
        if let Some(nonce) = nonce {
            request = request.add_extra_param("nonce", nonce.to_owned());
        }
        // The login's own (step-up's `acr_values`, `max_age`, `prompt`) win over the provider's.
        for (name, value) in extra {
            request = request.add_extra_param(name.clone(), value.clone());
        }
        for (name, value) in &config.extra_auth_params {
            if extra.iter().any(|(own, _)| own == name) {
                continue;
            }
            if RESERVED_AUTH_PARAMS.contains(&name.as_str()) {
                tracing::warn!(param = %name, "extra authorization parameter ignored: the login sets it itself");
                continue;
            }
            request = request.add_extra_param(name.clone(), value.clone());
        }
        Ok(request.url().0)
    }

    /// The URL the browser is sent to for one pending login (see [`authorize_url`](Self::authorize_url)).
    /// With a pushed authorization request endpoint (RFC 9126), the parameters are posted there
    /// first, authenticated as at the token endpoint, and the URL carries only `client_id` and
    /// the `request_uri` the provider gave back; any failure there fails the login.
    pub(crate) async fn login_url(
        &self,
        redirect_uri: &str,
        state: &str,
        pkce_verifier: &str,
        nonce: Option<&str>,
        extra: &[(String, String)],
    ) -> Result<url::Url, Error> {
        let inner = &self.inner;
        let url = self.authorize_url(redirect_uri, state, pkce_verifier, nonce, extra)?;
        let Some(par_url) = inner.config.par_url.clone() else {
            if inner.config.require_par {
                return Err(Error::Config(
                    "the provider requires pushed authorization requests and names no endpoint for them".into(),
                ));
            }
            return Ok(url);
        };
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        // Every parameter of the authorization request, `client_id` included (RFC 9126 §2.1).
        let mut form = pairs;
        let secret = inner
            .provider
            .client_secret(inner.client_secret.as_deref())?;
        let request = inner
            .http
            .request(http::Method::POST, par_url)
            .header(http::header::ACCEPT, "application/json");
        let request = self.authenticate(request, secret.as_deref(), &mut form)?;
        let response =
            crate::telemetry::provider_call("par", inner.http.send(request.form(&form))).await?;
        let json = response.json();
        let field = |name: &str| {
            json.as_ref()
                .and_then(|json| json.get(name)?.as_str().map(str::to_owned))
        };
        if !response.status.is_success() {
            return Err(Error::PushedAuthorization(match field("error") {
                Some(code) => safe_code(&code),
                None => format!("HTTP {}", response.status.as_u16()),
            }));
        }
        let request_uri = field("request_uri")
            .filter(|uri| !uri.is_empty())
            .ok_or_else(|| Error::PushedAuthorization("the answer has no request_uri".into()))?;
        let mut url = inner.config.auth_url.clone();
        url.query_pairs_mut()
            .append_pair("client_id", &inner.client_id)
            .append_pair("request_uri", &request_uri);
        Ok(url)
    }

    /// Authenticates a request to the provider as the token endpoint expects: HTTP Basic with
    /// `client_secret_basic` (RFC 6749 §2.3.1), else `client_id` and the `client_secret` or the
    /// client assertion (`private_key_jwt`) in `form`.
    fn authenticate(
        &self,
        request: reqwest::RequestBuilder,
        secret: Option<&str>,
        form: &mut Vec<(String, String)>,
    ) -> Result<reqwest::RequestBuilder, Error> {
        let inner = &self.inner;
        let mut add = |name: &str, value: &str| {
            if !form.iter().any(|(n, _)| n == name) {
                form.push((name.to_owned(), value.to_owned()));
            }
        };
        match (inner.config.auth_method, secret) {
            (AuthMethod::PrivateKeyJwt, _) => {
                add("client_id", &inner.client_id);
                add("client_assertion_type", crate::client_key::ASSERTION_TYPE);
                add("client_assertion", &self.assertion()?);
                Ok(request)
            }
            (AuthMethod::Basic, Some(secret)) => {
                // Form-encoded before Basic encoding, as oauth2 does.
                let id: String =
                    url::form_urlencoded::byte_serialize(inner.client_id.as_bytes()).collect();
                let secret: String =
                    url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
                Ok(request.basic_auth(id, Some(secret)))
            }
            (_, secret) => {
                add("client_id", &inner.client_id);
                if let Some(secret) = secret {
                    add("client_secret", secret);
                }
                Ok(request)
            }
        }
    }

    /// The form parameters a token request adds for `private_key_jwt` (oauth2 sends the rest).
    fn assertion_params(&self) -> Result<Vec<(&'static str, String)>, Error> {
        if self.inner.config.auth_method != AuthMethod::PrivateKeyJwt {
            return Ok(Vec::new());
        }
        Ok(vec![
            (
                "client_assertion_type",
                crate::client_key::ASSERTION_TYPE.to_owned(),
            ),
            ("client_assertion", self.assertion()?),
        ])
    }

    /// Exchanges the code (with the PKCE verifier and the same redirect URI), verifies the ID
    /// token against `nonce` when the provider is OpenID Connect, fetches user info. `dpop_key`:
    /// the DPoP key the authorization request named (`dpop_jkt`), stored with the pending login;
    /// without it a DPoP provider gets a key made here.
    #[tracing::instrument(skip_all, fields(provider = self.inner.config.name))]
    pub(crate) async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        pkce_verifier: &str,
        nonce: Option<&str>,
        dpop_key: Option<&str>,
    ) -> Result<(UserInfo, Tokens), Error> {
        let redirect = redirect_url(redirect_uri)?;
        let client = self.oauth2_authenticated()?;
        let mut request = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .set_redirect_uri(Cow::Owned(redirect));
        for (name, value) in self.assertion_params()? {
            request = request.add_extra_param(name, value);
        }
        // DPoP: this login's key pair; the tokens are bound to it if the provider says so.
        let dpop = match dpop_key {
            Some(stored) => Some(crate::dpop::DpopKey::from_stored(stored)?),
            None => self.inner.config.dpop.then(crate::dpop::DpopKey::generate),
        };
        let http = self.token_client(dpop.as_ref());
        let response = crate::telemetry::provider_call("token", request.request_async(&http))
            .await
            .map_err(token_error)?;
        let id_token = response.extra_fields().id_token.as_deref();
        let id_claims = match (&self.inner.jwks, id_token) {
            (Some(_), Some(token)) => Some(self.verify_id_token(token, nonce).await?),
            (Some(_), None) if self.inner.config.scopes.iter().any(|s| s == "openid") => {
                return Err(Error::IdToken("the token response has no ID token".into()));
            }
            _ => None,
        };
        let bound = dpop.filter(|_| is_dpop(response.token_type()));
        let tokens = self
            .tokens_from(&response, None)
            .with_dpop_key(bound.as_ref().map(crate::dpop::DpopKey::to_stored));
        let info = self.user_info(&tokens, id_claims).await?;
        Ok((info, tokens))
    }

    /// Gets a new access token with the refresh token of `tokens`.
    ///
    /// The result keeps the old refresh token (and ID token) when the provider sends no new one.
    /// A new ID token is verified and must name the same user.
    ///
    /// # Errors
    /// [`Error::InvalidGrant`] when the provider refuses the refresh token (the user has to log in
    /// again), [`Error::Unsupported`] when `tokens` has no refresh token, [`Error::TokenExchange`]
    /// for other refusals, [`Error::Network`] when the provider cannot be reached.
    ///
    /// ```no_run
    /// # async fn handler(tokens: axum_oauth_login::UserTokens) -> Result<(), axum_oauth_login::Error> {
    /// use axum_oauth_login::{Error, GoogleAppClient};
    /// let client = GoogleAppClient::new("id", "secret");
    /// let old = tokens.get().await?;
    /// match client.refresh(&old).await {
    ///     Ok(fresh) => println!("valid until {:?}", fresh.expires_at()),
    ///     Err(Error::InvalidGrant) => println!("log in again"),
    ///     Err(other) => return Err(other),
    /// }
    /// # Ok(()) }
    /// ```
    #[tracing::instrument(skip_all, fields(provider = self.inner.config.name))]
    pub async fn refresh(&self, tokens: &Tokens) -> Result<Tokens, Error> {
        let refresh_token = tokens
            .refresh_token()
            .ok_or(Error::Unsupported("refresh"))?;
        let refresh_token = RefreshToken::new(refresh_token.to_owned());
        let client = self.oauth2_authenticated()?;
        let mut request = client.exchange_refresh_token(&refresh_token);
        for (name, value) in self.assertion_params()? {
            request = request.add_extra_param(name, value);
        }
        // DPoP-bound tokens are refreshed with a proof of the same key.
        let dpop = tokens
            .dpop_key()
            .map(crate::dpop::DpopKey::from_stored)
            .transpose()?;
        let http = self.token_client(dpop.as_ref());
        let response = crate::telemetry::provider_call("refresh", request.request_async(&http))
            .await
            .map_err(|e| match token_error(e) {
                Error::TokenExchange(code) if code == "invalid_grant" => Error::InvalidGrant,
                other => other,
            })?;
        if let Some(new_id_token) = response.extra_fields().id_token.as_deref()
            && self.inner.jwks.is_some()
        {
            // OpenID Connect Core 12.2: same issuer, audience and user; no nonce.
            let claims = self.verify_id_token(new_id_token, None).await?;
            let old_sub = tokens.id_token().and_then(jwks::unverified_sub);
            if old_sub.is_some() && claims.get("sub").and_then(Value::as_str) != old_sub.as_deref()
            {
                return Err(Error::IdToken(
                    "the refreshed ID token names another user".into(),
                ));
            }
        }
        Ok(self
            .tokens_from(&response, Some(tokens))
            .with_dpop_key(tokens.dpop_key().map(str::to_owned)))
    }

    /// oauth2's HTTP client for a token request, with proofs of `key` when there is one.
    fn token_client(&self, key: Option<&crate::dpop::DpopKey>) -> crate::dpop::TokenClient {
        crate::dpop::TokenClient {
            http: self.inner.http.clone(),
            key: key.cloned(),
            nonces: self.inner.dpop_nonces.clone(),
        }
    }

    /// Revokes the tokens at the provider (RFC 7009): the refresh token when there is one (which
    /// revokes the whole grant at providers that follow RFC 7009 §2.1), else the access token.
    ///
    /// A token the provider already considers invalid counts as revoked.
    ///
    /// # Errors
    /// [`Error::Unsupported`] when the provider has no revocation endpoint (GitHub, Hugging
    /// Face, Entra ID), [`Error::TokenExchange`] with the OAuth error code when the provider
    /// refuses, [`Error::Network`] when it cannot be reached.
    ///
    /// ```no_run
    /// # async fn handler(tokens: axum_oauth_login::UserTokens) -> Result<(), axum_oauth_login::Error> {
    /// use axum_oauth_login::DiscordAppClient;
    /// let client = DiscordAppClient::new("id", "secret");
    /// client.revoke(&tokens.get().await?).await?;
    /// # Ok(()) }
    /// ```
    #[tracing::instrument(skip_all, fields(provider = self.inner.config.name))]
    pub async fn revoke(&self, tokens: &Tokens) -> Result<(), Error> {
        let inner = &self.inner;
        let url = inner
            .config
            .revocation_url
            .clone()
            .ok_or(Error::Unsupported("revocation"))?;
        let (token, hint) = match tokens.refresh_token() {
            Some(refresh) => (refresh, "refresh_token"),
            None => (tokens.access_token(), "access_token"),
        };
        let authenticated = inner.provider.revocation_authenticated();
        let secret = if authenticated {
            inner
                .provider
                .client_secret(inner.client_secret.as_deref())?
        } else {
            None
        };
        let mut form = vec![
            ("token".to_owned(), token.to_owned()),
            ("token_type_hint".to_owned(), hint.to_owned()),
        ];
        let mut request = inner
            .http
            .request(http::Method::POST, url.clone())
            .header(http::header::ACCEPT, "application/json");
        // As at the token endpoint, unless the provider takes the token alone (Google).
        if authenticated {
            request = self.authenticate(request, secret.as_deref(), &mut form)?;
        }
        let response = match tokens.dpop_key() {
            // A proof of the tokens' key, as on every call with them (RFC 9449 §5 leaves it to
            // the server; some require it).
            Some(key) => {
                let key = crate::dpop::DpopKey::from_stored(key)?;
                let request = request.form(&form);
                crate::dpop::send(
                    &inner.http,
                    &key,
                    &inner.dpop_nonces,
                    &http::Method::POST,
                    &url,
                    None,
                    || request.try_clone(),
                )
                .await?
            }
            None => inner.http.send(request.form(&form)).await?,
        };
        if response.status.is_success() {
            return Ok(());
        }
        let code = response
            .json()
            .and_then(|json| json.get("error")?.as_str().map(safe_code));
        match code.as_deref() {
            Some("invalid_token") => Ok(()),
            Some(code) => Err(Error::TokenExchange(code.to_owned())),
            None => Err(Error::TokenExchange(format!(
                "the revocation endpoint answered HTTP {}",
                response.status.as_u16()
            ))),
        }
    }

    async fn verify_id_token(
        &self,
        token: &str,
        nonce: Option<&str>,
    ) -> Result<Map<String, Value>, Error> {
        let inner = &self.inner;
        let (Some(jwks), Some(oidc)) = (&inner.jwks, &inner.config.oidc) else {
            return Err(Error::Config(
                "ID tokens are verified for OpenID Connect providers only".into(),
            ));
        };
        let provider = &inner.provider;
        let issuer = |claims: &Map<String, Value>| provider.check_issuer(&oidc.issuer, claims);
        let expected = Expected {
            issuer: &issuer,
            client_id: &inner.client_id,
            nonce,
        };
        jwks.verify(&inner.http, token, &expected).await
    }

    /// Whether `claims` (read unverified from a logout token) say this provider issued it, so
    /// that only that provider's keys are fetched to verify it.
    pub(crate) fn may_have_issued(&self, claims: &Map<String, Value>) -> bool {
        let inner = &self.inner;
        inner.jwks.is_some()
            && inner
                .config
                .oidc
                .as_ref()
                .is_some_and(|oidc| inner.provider.check_issuer(&oidc.issuer, claims).is_ok())
    }

    /// For readiness: `Ok` for a provider without keys (OAuth 2 only) or whose keys are current.
    pub(crate) async fn keys_current(&self) -> Result<(), String> {
        match &self.inner.jwks {
            Some(jwks) => jwks.ensure_current(&self.inner.http).await,
            None => Ok(()),
        }
    }

    /// Verifies a back-channel logout token for this client (see `jwks::Jwks::verify_logout_token`)
    /// and returns its claims.
    pub(crate) async fn verify_logout_token(
        &self,
        token: &str,
    ) -> Result<Map<String, Value>, Error> {
        let inner = &self.inner;
        let (Some(jwks), Some(oidc)) = (&inner.jwks, &inner.config.oidc) else {
            return Err(Error::Config(
                "logout tokens are verified for OpenID Connect providers only".into(),
            ));
        };
        let provider = &inner.provider;
        let issuer = |claims: &Map<String, Value>| provider.check_issuer(&oidc.issuer, claims);
        jwks.verify_logout_token(&inner.http, token, &issuer, &inner.client_id)
            .await
    }

    fn tokens_from(&self, response: &TokenResponse, old: Option<&Tokens>) -> Tokens {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let expires_at = response
            .expires_in()
            .and_then(|d| i64::try_from(now.saturating_add(d.as_secs())).ok());
        let listed = response
            .scopes()
            .map(|scopes| scopes.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default();
        let scopes = self.inner.provider.granted_scopes(listed);
        let refresh = response.refresh_token().map(|t| t.secret().clone());
        let id_token = response.extra_fields().id_token.clone();
        Tokens::new(response.access_token().secret().clone())
            .with_refresh_token(
                refresh.or_else(|| old.and_then(|o| o.refresh_token().map(str::to_owned))),
            )
            .with_id_token(id_token.or_else(|| old.and_then(|o| o.id_token().map(str::to_owned))))
            .with_expires_at(expires_at)
            .with_scopes(match old {
                Some(old) if scopes.is_empty() => old.scopes().to_vec(),
                _ => scopes,
            })
    }

    /// User info from the user info endpoint, else from the ID token's claims.
    async fn user_info(
        &self,
        tokens: &Tokens,
        id_claims: Option<Map<String, Value>>,
    ) -> Result<UserInfo, Error> {
        let inner = &self.inner;
        let config = &inner.config;
        let dpop = tokens
            .dpop_key()
            .map(crate::dpop::DpopKey::from_stored)
            .transpose()?;
        let api = UserApi {
            http: &inner.http,
            access_token: tokens.access_token(),
            userinfo_url: config.userinfo_url.as_ref(),
            dpop: dpop.as_ref().map(|key| (key, &*inner.dpop_nonces)),
        };
        let raw = match (&config.userinfo_url, id_claims) {
            (Some(url), id_claims) => {
                let raw = api.get_json(url).await?;
                if let Some(claims) = id_claims {
                    // OpenID Connect Core 5.3.4: a different `sub` means the answer is not about
                    // the user who logged in.
                    if raw
                        .get("sub")
                        .is_none_or(|sub| Some(sub) != claims.get("sub"))
                    {
                        return Err(Error::UserInfo(
                            "the user info's `sub` differs from the ID token's".into(),
                        ));
                    }
                }
                raw
            }
            (None, Some(claims)) => Value::Object(claims),
            (None, None) => {
                return Err(Error::Config(
                    "the provider has neither a user info endpoint nor verified ID tokens".into(),
                ));
            }
        };
        let mut info = UserInfo::from_claims(&config.id_key, raw)
            .ok_or_else(|| Error::UserInfo(format!("the answer has no `{}`", config.id_key)))?;
        info.provider = config.name.to_owned();
        inner.provider.fix_user_info(&mut info);
        inner.provider.complete_user_info(&mut info, api).await;
        Ok(info)
    }
}

fn redirect_url(redirect_uri: &str) -> Result<RedirectUrl, Error> {
    RedirectUrl::new(redirect_uri.to_owned())
        .map_err(|_| Error::Config("the redirect URI is not a URL".into()))
}

/// Maps oauth2's error to ours: the OAuth error code only, never the body.
/// Whether a token response's `token_type` is `DPoP` (case-insensitive, RFC 9449 §5).
fn is_dpop(token_type: &oauth2::basic::BasicTokenType) -> bool {
    matches!(token_type, oauth2::basic::BasicTokenType::Extension(t) if t.eq_ignore_ascii_case("dpop"))
}

fn token_error(error: RequestTokenError<HttpError, BasicErrorResponse>) -> Error {
    match error {
        RequestTokenError::ServerResponse(response) => {
            Error::TokenExchange(safe_code(response.error().as_ref()))
        }
        RequestTokenError::Request(error) => error.into(),
        RequestTokenError::Parse(..) => {
            Error::TokenExchange("the answer is not a token response".into())
        }
        RequestTokenError::Other(_) => {
            Error::TokenExchange("unexpected answer from the token endpoint".into())
        }
    }
}

/// An OAuth error code as the provider sent it if it looks like one (RFC 6749 §5.2 allows
/// printable ASCII; codes in use are `snake_case`), else a fixed word.
fn safe_code(code: &str) -> String {
    let plausible = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if plausible {
        code.to_owned()
    } else {
        "provider_error".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn google() -> Client {
        crate::GoogleAppClient::new("my-client", "my-secret").into()
    }

    #[test]
    fn authorize_url_has_pkce_state_nonce_scopes_and_exact_redirect() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let url = google()
            .authorize_url(
                "http://localhost:8000/redirect",
                "the-state",
                verifier,
                Some("the-nonce"),
                &[],
            )
            .unwrap();
        assert!(
            url.as_str()
                .starts_with("https://accounts.google.com/o/oauth2/v2/auth?")
        );
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "my-client");
        assert_eq!(q["state"], "the-state");
        assert_eq!(q["nonce"], "the-nonce");
        assert_eq!(q["redirect_uri"], "http://localhost:8000/redirect");
        assert_eq!(q["scope"], "openid email profile");
        assert_eq!(q["code_challenge_method"], "S256");
        // RFC 7636 appendix B.
        assert_eq!(
            q["code_challenge"],
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(!url.as_str().contains("my-secret"));
    }

    #[test]
    fn extra_params_cannot_override_the_login_parameters() {
        let client = google().with_provider(|p| {
            p.extra_auth_params
                .push(("prompt".into(), "consent".into()));
            p.extra_auth_params.push(("state".into(), "evil".into()));
        });
        let url = client
            .authorize_url(
                "http://localhost/cb",
                "s",
                "v".repeat(43).as_str(),
                None,
                &[],
            )
            .unwrap();
        let states: Vec<_> = url.query_pairs().filter(|(k, _)| k == "state").collect();
        assert_eq!(states.len(), 1);
        assert_eq!(states[0].1, "s");
        assert!(
            url.query_pairs()
                .any(|(k, v)| k == "prompt" && v == "consent")
        );
        assert!(!url.query_pairs().any(|(k, _)| k == "nonce"));
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let text = format!("{:?}", google());
        assert!(text.contains("my-client"));
        assert!(!text.contains("my-secret"));
    }

    #[test]
    fn error_codes_are_sanitised() {
        assert_eq!(safe_code("invalid_grant"), "invalid_grant");
        assert_eq!(safe_code("bad_verification_code"), "bad_verification_code");
        assert_eq!(safe_code("<script>alert(1)</script>"), "provider_error");
        assert_eq!(safe_code(&"a".repeat(65)), "provider_error");
    }
}
