//! The provider client: login links, code exchange, user info, refresh, revocation.
//!
//! INTERFACE (used by `flow.rs`, `install.rs`, `dev/`): keep these signatures; the bodies are
//! being written.

use std::sync::Arc;

use crate::provider::ProviderConfig;
use crate::{Error, Tokens, UserInfo};

/// A client of one OAuth 2 / OpenID Connect provider. Cheap to clone; shared by all users.
///
/// It holds no user's token: tokens are returned to the caller and kept in that user's session.
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) inner: Arc<ClientInner>,
}

#[derive(Debug)]
pub(crate) struct ClientInner {
    pub(crate) config: ProviderConfig,
    pub(crate) client_id: String,
    pub(crate) client_secret: Option<String>,
    /// Routes the client brings along (the development provider mounts itself this way).
    pub(crate) routes: Option<axum::Router>,
}

impl Client {
    /// A client of the provider described by `config`.
    #[must_use]
    pub fn new(config: ProviderConfig, client_id: impl Into<String>, client_secret: Option<String>) -> Self {
        Self {
            inner: Arc::new(ClientInner {
                config,
                client_id: client_id.into(),
                client_secret,
                routes: None,
            }),
        }
    }

    /// The provider's description (endpoints, scopes, id key).
    #[must_use]
    pub fn provider(&self) -> &ProviderConfig {
        &self.inner.config
    }

    /// The authorization URL for one pending login: `state`, PKCE S256 challenge of
    /// `pkce_verifier`, `nonce` (OpenID Connect), the exact `redirect_uri`.
    pub(crate) fn authorize_url(
        &self,
        redirect_uri: &str,
        state: &str,
        pkce_verifier: &str,
        nonce: Option<&str>,
    ) -> Result<url::Url, Error> {
        let _ = (redirect_uri, state, pkce_verifier, nonce);
        Err(Error::Unsupported("authorize_url"))
    }

    /// Exchanges the code (with the PKCE verifier and the same redirect URI), verifies the ID
    /// token against `nonce` when the provider is OpenID Connect, fetches user info.
    pub(crate) async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        pkce_verifier: &str,
        nonce: Option<&str>,
    ) -> Result<(UserInfo, Tokens), Error> {
        let _ = (code, redirect_uri, pkce_verifier, nonce);
        Err(Error::Unsupported("exchange_code"))
    }

    /// Revokes the tokens at the provider (being written by the client module's owner).
    pub async fn revoke(&self, tokens: &Tokens) -> Result<(), Error> {
        let _ = tokens;
        Err(Error::Unsupported("revocation"))
    }
}
