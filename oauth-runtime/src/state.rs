//! The state every request reads: [`Core`] (the providers, paths, session layer and settings,
//! whatever the auth struct) and [`Shared`] (the same plus the auth struct and its hooks).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use axum::body::Bytes;
use tower_sessions::{Expiry, SessionStore};
use url::Url;

use crate::Client;
use crate::hooks::Config;
use crate::paths::PathPatterns;
use crate::plumbing::Hooks;
use crate::session::Sessions;

/// One provider of the app and the path of its callback.
#[derive(Debug)]
pub(crate) struct Installed {
    pub(crate) client: Client,
    pub(crate) callback: String,
}

/// What the guard, the callback and the extractors share, whatever the auth struct.
#[derive(Debug)]
pub(crate) struct Core {
    /// The providers; the first is `#[oauth(provider)]`'s, at the `redirect` path.
    pub(crate) providers: Vec<Installed>,
    pub(crate) config: Config,
    /// The library's own paths (callbacks, error, login, logout, the development provider):
    /// public, with a session.
    pub(crate) own: PathPatterns,
    /// The user's `skip` patterns: no guard, no session.
    pub(crate) skip: PathPatterns,
    /// The user's `public` patterns: no login required, with the session and the identity.
    pub(crate) public: PathPatterns,
    /// Each request's session: the cookie and the store.
    pub(crate) sessions: Sessions,
    /// `config.login` as a header value, made once (anonymous requests are answered with it).
    pub(crate) login_location: http::HeaderValue,
    /// The JSON body of the `401` that anonymous requests other than page navigations get.
    pub(crate) login_required: Bytes,
    /// The session store, for the token records (see `vault`).
    pub(crate) store: Arc<dyn SessionStore>,
    /// One refresh at a time per session on this instance.
    pub(crate) flights: Flights,
    /// The store's markers and index (library stores only): leases for one refresh per session
    /// across instances, and back-channel logout's index.
    pub(crate) coordination: Option<Arc<dyn crate::store::Coordination>>,
    /// When sessions expire; the guard slides `OnInactivity`, and token records follow it.
    pub(crate) expiry: Expiry,
    pub(crate) public_url: Option<Url>,
    pub(crate) trusted_proxies: Vec<IpAddr>,
    pub(crate) keep_tokens: bool,
    pub(crate) revoke_on_logout: bool,
    pub(crate) provider_logout: bool,
    /// Back-channel logout's path and index, when it is on.
    pub(crate) backchannel: Option<Backchannel>,
    /// Where audit events go (`tracing`, and the app's hook).
    pub(crate) audit: crate::audit::Audit,
    /// The rate limit on login starts and callbacks, unless it is off.
    pub(crate) limiter: Option<crate::ratelimit::Limiter>,
    /// Routes that need a stronger or more recent login, and what they need.
    pub(crate) step_up: Vec<(PathPatterns, crate::stepup::StepUp)>,
}

/// Back-channel logout's endpoint path and the index it files sessions in (see `backchannel`).
#[derive(Debug)]
pub(crate) struct Backchannel {
    pub(crate) path: &'static str,
    pub(crate) index: Arc<dyn crate::store::Coordination>,
}

impl Core {
    /// The provider named `name` (its [`ProviderConfig::name`](crate::provider::ProviderConfig::name)).
    pub(crate) fn provider(&self, name: &str) -> Option<&Installed> {
        self.providers
            .iter()
            .find(|p| p.client.provider().name == name)
    }
}

/// [`Core`] plus the user's auth struct and its hooks.
pub(crate) struct Shared<A> {
    pub(crate) auth: A,
    pub(crate) hooks: Hooks<A>,
    pub(crate) core: Arc<Core>,
}

/// Refreshes in progress, one lock per token record (single flight within this process).
#[derive(Debug, Default)]
pub(crate) struct Flights(Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>);

impl Flights {
    pub(crate) fn lock_for(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(lock) = map.get(id).and_then(Weak::upgrade) {
            return lock;
        }
        map.retain(|_, lock| lock.strong_count() > 0);
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        map.insert(id.to_owned(), Arc::downgrade(&lock));
        lock
    }
}
