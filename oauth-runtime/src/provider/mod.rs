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
//! Each provider is one module here: its [`ProviderConfig`] and its [`Provider`] implementation,
//! which holds its quirks (GitHub's comma-separated scopes and email list, Discord's `verified`,
//! Google's two issuer spellings and unauthenticated revocation, Entra ID's per-tenant issuer and
//! unverified email, Apple's signed client secret and first-login name). The quirks follow the
//! client, also when [`Client::with_provider`](crate::Client::with_provider) renames it. Errors
//! sent with HTTP 200 (GitHub's) are read as errors for every provider (`http.rs`).
//!
//! A provider this crate does not know is a type implementing [`Provider`] (see its example), or
//! a plain [`ProviderConfig`] when it has no quirks.
//!
//! ```
//! use axum_oauth_login::{Client, GitHubAppClient};
//! let client: Client = GitHubAppClient::new("client-id", "client-secret").into();
//! assert_eq!(client.provider().name, "github");
//! ```

use std::future::Future;
use std::pin::Pin;

use url::Url;

pub use crate::spec::{AuthMethod, OidcConfig, Provider, ProviderConfig, ProviderFuture, UserApi};

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
                Self(crate::Client::from_provider(provider(), client_id, Some(client_secret.into())))
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
pub(crate) use oidc::discover_config;

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

/// How [`client_from_env`] builds one provider's client.
type FromEnv = fn() -> Pin<Box<dyn Future<Output = Result<crate::Client, crate::Error>> + Send>>;

/// The built-in providers, in the order of the docs: each one's key (the name
/// `#[oauth(provider = "...")]` accepts) and how [`client_from_env`] builds its client. A new
/// provider is its module above plus one line here; `tests/architecture.rs` pins the macros' list
/// of names equal to [`NAMES`].
const REGISTRY: &[(&str, FromEnv)] = &[
    ("google", || {
        Box::pin(async { Ok(GoogleAppClient::from_env()?.into()) })
    }),
    ("github", || {
        Box::pin(async { Ok(GitHubAppClient::from_env()?.into()) })
    }),
    ("huggingface", || {
        Box::pin(async { Ok(HuggingFaceClient::from_env()?.into()) })
    }),
    ("discord", || {
        Box::pin(async { Ok(DiscordAppClient::from_env()?.into()) })
    }),
    ("gitlab", || {
        Box::pin(async { Ok(GitLabAppClient::from_env()?.into()) })
    }),
    ("auth0", || {
        Box::pin(async { Ok(Auth0AppClient::from_env().await?.into()) })
    }),
    ("entra", || {
        Box::pin(async { Ok(EntraAppClient::from_env()?.into()) })
    }),
    ("apple", || {
        Box::pin(async { Ok(AppleAppClient::from_env()?.into()) })
    }),
    ("oidc", || Box::pin(OidcClient::from_env())),
];

/// The provider names [`client_from_env`] knows, in the order of its documentation: the names
/// `#[oauth(provider = "...")]` accepts, but `"dev"` (the development provider, built by
/// `DevProvider` rather than from the environment).
///
/// ```
/// use axum_oauth_login::provider::NAMES;
/// assert!(NAMES.contains(&"entra"));
/// ```
pub const NAMES: &[&str] = &names::<{ REGISTRY.len() }>();

const fn names<const N: usize>() -> [&'static str; N] {
    let mut names = [""; N];
    let mut i = 0;
    while i < N {
        names[i] = REGISTRY[i].0;
        i += 1;
    }
    names
}

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
    match REGISTRY.iter().find(|(name, _)| *name == provider) {
        Some((_, from_env)) => from_env().await,
        None => Err(crate::Error::Config(format!(
            "unknown provider `{provider}`; expected one of {}",
            NAMES.join(", ")
        ))),
    }
}
