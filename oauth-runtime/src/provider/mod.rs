//! Providers: endpoints, scopes and quirks of each.
//!
//! One client type per provider: those FastHTML has ([`GoogleAppClient`], [`GitHubAppClient`],
//! [`HuggingFaceClient`], [`DiscordAppClient`]), then [`GitLabAppClient`], [`Auth0AppClient`],
//! [`EntraAppClient`] (Microsoft) and [`AppleAppClient`], and [`OidcClient`] for any OpenID
//! Connect provider found by discovery. The provider types deref to a [`Client`](crate::Client)
//! and convert into one; [`OidcClient`] builds a `Client` directly. A [`ProviderConfig`] passed to
//! [`Client::new`](crate::Client::new) covers any other provider.
//!
//! | key | type | user id | built from |
//! |---|---|---|---|
//! | `google` | [`GoogleAppClient`] | `sub` | client id and secret |
//! | `github` | [`GitHubAppClient`] | `id` | client id and secret |
//! | `huggingface` | [`HuggingFaceClient`] | `sub` | client id and secret |
//! | `discord` | [`DiscordAppClient`] | `id` | client id and secret |
//! | `gitlab` | [`GitLabAppClient`] | `sub` | client id and secret (+ instance URL) |
//! | `auth0` | [`Auth0AppClient`] | `sub` | tenant domain, client id and secret |
//! | `entra` | [`EntraAppClient`] | `sub` | tenant, client id and secret |
//! | `apple` | [`AppleAppClient`] | `sub` | Services ID, team id, key id, `.p8` key |
//! | `oidc` | [`OidcClient`] | `sub` | issuer, client id and secret |
//!
//! Most quirks live in `client.rs`, keyed by [`ProviderConfig::name`]: GitHub's comma-separated
//! scopes and its email list; Discord's `verified`; Google's two issuer spellings and its
//! unauthenticated revocation; Entra ID's per-tenant issuer and unverified email. The others:
//! errors sent with HTTP 200 (GitHub's) are read as errors for every provider (`http.rs`); Apple's
//! signed client secret is minted in `apple.rs`, and its first-login name is read by the callback
//! (`flow.rs`).
//!
//! ```
//! use axum_oauth_login::{Client, GitHubAppClient};
//! let client: Client = GitHubAppClient::new("client-id", "client-secret").into();
//! assert_eq!(client.provider().name, "github");
//! ```

use url::Url;

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
    /// Extra query parameters for the authorization request.
    pub extra_auth_params: Vec<(String, String)>,
}

// The provider clients share their shape; the macros write it once. `provider_common!` is the
// part every provider type has (the newtype, `with_scopes`, `with_provider`, `Deref`, `From`);
// `$setup` and `$make` are the doc examples' setup lines and an expression building a client.
macro_rules! provider_common {
    (
        $(#[$doc:meta])*
        $name:ident,
        setup = $setup:literal,
        make = ($($make:tt)+) $(,)?
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(crate::Client);

        impl $name {
            /// The same client asking for `scopes` instead of the defaults.
            ///
            /// ```
            #[doc = $setup]
            #[doc = concat!("let client = ", $($make)+, ".with_scopes([\"openid\", \"email\"]);")]
            /// assert_eq!(client.provider().scopes, ["openid", "email"]);
            /// ```
            #[must_use]
            pub fn with_scopes<I, S>(self, scopes: I) -> Self
            where
                I: IntoIterator<Item = S>,
                S: Into<String>,
            {
                Self(self.0.with_scopes(scopes))
            }

            /// The same client with its provider description changed by `edit` (see
            /// [`Client::with_provider`](crate::Client::with_provider)).
            ///
            /// ```
            #[doc = $setup]
            #[doc = concat!("let client = ", $($make)+)]
            ///     .with_provider(|p| p.extra_auth_params.push(("prompt".into(), "login".into())));
            /// assert!(client.provider().extra_auth_params.iter().any(|(k, _)| k == "prompt"));
            /// ```
            #[must_use]
            pub fn with_provider(self, edit: impl FnOnce(&mut ProviderConfig)) -> Self {
                Self(self.0.with_provider(edit))
            }
        }

        impl std::ops::Deref for $name {
            type Target = crate::Client;
            fn deref(&self) -> &crate::Client {
                &self.0
            }
        }

        impl From<$name> for crate::Client {
            fn from(client: $name) -> Self {
                client.0
            }
        }
    };
}

// `with_endpoints` for the provider types whose module has `config_at(&Base)`.
macro_rules! provider_endpoints {
    ($name:ident, setup = $setup:literal, make = ($($make:tt)+) $(,)?) => {
        impl $name {
            /// The same client talking to the provider's endpoints under `base` instead of the real
            /// ones (same paths; see the type's docs), for a self-hosted instance or a test server.
            /// Scopes and other settings are kept.
            ///
            /// # Errors
            /// [`Error::Config`](crate::Error::Config) when `base` is not an absolute URL.
            ///
            /// ```
            #[doc = $setup]
            #[doc = concat!("let client = ", $($make)+)]
            ///     .with_endpoints("http://127.0.0.1:9000")
            ///     .unwrap();
            /// assert!(client.provider().token_url.as_str().starts_with("http://127.0.0.1:9000/"));
            /// ```
            pub fn with_endpoints(self, base: &str) -> Result<Self, crate::Error> {
                let at = config_at(&super::Base::parse(base)?);
                Ok(Self(self.0.with_provider(|config| config.replace_endpoints(at))))
            }
        }
    };
}

// The providers with a client id and a secret from `AUTH_CLIENT_ID` and `AUTH_CLIENT_SECRET`.
macro_rules! provider_client {
    (
        $(#[$doc:meta])*
        $name:ident
    ) => {
        provider_common! {
            $(#[$doc])*
            $name,
            setup = "",
            make = (concat!("axum_oauth_login::", stringify!($name), "::new(\"id\", \"secret\")")),
        }
        provider_endpoints! {
            $name,
            setup = "",
            make = (concat!("axum_oauth_login::", stringify!($name), "::new(\"id\", \"secret\")")),
        }

        impl $name {
            /// A client with these credentials and the provider's real endpoints and default scopes.
            ///
            /// ```
            #[doc = concat!("let client = axum_oauth_login::", stringify!($name), "::new(\"client-id\", \"client-secret\");")]
            /// assert_eq!(client.client_id(), "client-id");
            /// ```
            #[must_use]
            pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
                Self(crate::Client::new(config(), client_id, Some(client_secret.into())))
            }

            /// A client with the credentials in `AUTH_CLIENT_ID` and `AUTH_CLIENT_SECRET`, as in
            /// FastHTML's `GoogleAppClient(os.getenv("AUTH_CLIENT_ID"), os.getenv("AUTH_CLIENT_SECRET"))`.
            ///
            /// # Errors
            /// [`Error::Config`](crate::Error::Config) naming the variable that is missing or empty.
            ///
            /// ```
            #[doc = concat!("match axum_oauth_login::", stringify!($name), "::from_env() {")]
            ///     Ok(client) => println!("logging in with {}", client.provider().name),
            ///     Err(error) => assert_eq!(error.code(), "config"),
            /// }
            /// ```
            pub fn from_env() -> Result<Self, crate::Error> {
                let (id, secret) = super::credentials_from_env("AUTH_CLIENT_ID", "AUTH_CLIENT_SECRET")?;
                Ok(Self::new(id, secret))
            }
        }
    };
}

pub(crate) mod apple;
mod auth0;
mod discord;
pub(crate) mod entra;
mod github;
mod gitlab;
mod google;
mod huggingface;
mod oidc;

pub use apple::AppleAppClient;
pub use auth0::Auth0AppClient;
pub use discord::DiscordAppClient;
pub use entra::EntraAppClient;
pub use github::GitHubAppClient;
pub use gitlab::GitLabAppClient;
pub use google::GoogleAppClient;
pub use huggingface::HuggingFaceClient;
pub use oidc::OidcClient;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_more;

impl ProviderConfig {
    /// Takes the endpoints (not the scopes, id key or quirks) of `other`.
    fn replace_endpoints(&mut self, other: ProviderConfig) {
        self.auth_url = other.auth_url;
        self.token_url = other.token_url;
        self.userinfo_url = other.userinfo_url;
        self.revocation_url = other.revocation_url;
        self.end_session_url = other.end_session_url;
        self.oidc = other.oidc;
    }
}

/// A base URL for `with_endpoints`, without its trailing slash.
struct Base(String);

impl Base {
    fn parse(base: &str) -> Result<Self, crate::Error> {
        let url = Url::parse(base)
            .map_err(|_| crate::Error::Config("the endpoint base is not a URL".into()))?;
        if url.cannot_be_a_base() || url.query().is_some() {
            return Err(crate::Error::Config(
                "the endpoint base is not a base URL".into(),
            ));
        }
        Ok(Self(url.as_str().trim_end_matches('/').to_owned()))
    }

    /// `path` (starting with `/`) under the base.
    fn join(&self, path: &str) -> Url {
        Url::parse(&format!("{}{path}", self.0)).expect("a base URL followed by a path is a URL")
    }

    fn as_str(&self) -> &str {
        &self.0
    }
}

/// A constant URL of a provider.
fn url(s: &str) -> Url {
    Url::parse(s).expect("provider URLs are valid")
}

fn scopes(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Reads a required, non-empty environment variable.
fn env_var(name: &str) -> Result<String, crate::Error> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value.trim().to_owned()),
        _ => Err(crate::Error::Config(format!(
            "the environment variable {name} is not set"
        ))),
    }
}

fn credentials_from_env(id: &str, secret: &str) -> Result<(String, String), crate::Error> {
    Ok((env_var(id)?, env_var(secret)?))
}

/// The provider names [`client_from_env`] knows, in the order of its documentation: the names
/// `#[oauth(provider = "...")]` accepts, with `"dev"` (the development provider, built by
/// `DevProvider` rather than from the environment). `tests/architecture.rs` pins the macros' list
/// equal to this one.
///
/// ```
/// use axum_oauth_login::provider::NAMES;
/// assert!(NAMES.contains(&"entra"));
/// ```
pub const NAMES: &[&str] = &[
    "google",
    "github",
    "huggingface",
    "discord",
    "gitlab",
    "auth0",
    "entra",
    "apple",
    "oidc",
];

/// The client of the provider named `provider` (`"google"`, `"github"`, `"huggingface"`,
/// `"discord"`, `"gitlab"`, `"auth0"`, `"entra"`, `"apple"`, `"oidc"`), with its credentials from
/// the environment: `AUTH_CLIENT_ID` and `AUTH_CLIENT_SECRET`, plus `AUTH0_DOMAIN` for `"auth0"`
/// (discovery is fetched) and `ENTRA_TENANT` for `"entra"`; for `"apple"` the variables of
/// [`AppleAppClient::from_env`]; for `"oidc"` `OIDC_ISSUER`, `OIDC_CLIENT_ID` and
/// `OIDC_CLIENT_SECRET` (discovery is fetched).
///
/// # Errors
/// [`Error::Config`](crate::Error::Config) for an unknown provider or a missing variable;
/// discovery errors for `"auth0"` and `"oidc"` (see [`OidcClient::discover`]).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use axum_oauth_login::provider::client_from_env;
/// let error = client_from_env("myspace").await.unwrap_err();
/// assert_eq!(error.code(), "config");
/// # });
/// ```
pub async fn client_from_env(provider: &str) -> Result<crate::Client, crate::Error> {
    Ok(match provider {
        "google" => GoogleAppClient::from_env()?.into(),
        "github" => GitHubAppClient::from_env()?.into(),
        "huggingface" => HuggingFaceClient::from_env()?.into(),
        "discord" => DiscordAppClient::from_env()?.into(),
        "gitlab" => GitLabAppClient::from_env()?.into(),
        "auth0" => Auth0AppClient::from_env().await?.into(),
        "entra" => EntraAppClient::from_env()?.into(),
        "apple" => AppleAppClient::from_env()?.into(),
        "oidc" => OidcClient::from_env().await?,
        other => {
            return Err(crate::Error::Config(format!(
                "unknown provider `{other}`; expected one of {}",
                NAMES.join(", ")
            )));
        }
    })
}
