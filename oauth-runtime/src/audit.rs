//! Audit events: who logged in, out or failed, and why, for compliance reviews and alerting.
//!
//! Each event is a `tracing` event at `info` (`warn` for failures) with the target
//! `axum_oauth_login::audit` and structured fields (`event`, `provider`, `ident`, `code`, ...),
//! and is handed to the app's hook when it set one with
//! [`OAuthBuilder::on_audit`](crate::OAuthBuilder::on_audit). No event carries a token, an
//! authorization code, a secret or a session id.
//!
//! ```
//! use axum_oauth_login::audit::AuditEvent;
//! fn record(event: &AuditEvent) {
//!     if let AuditEvent::LoginFailed { provider, code, .. } = event {
//!         eprintln!("a login with {provider} failed: {code}");
//!     }
//! }
//! ```

use std::fmt;
use std::sync::Arc;

/// Something that happened to a login or a session. `#[non_exhaustive]`: new events may come
/// in minor releases; match with a `_` arm.
///
/// ```
/// use axum_oauth_login::audit::AuditEvent;
/// let event = AuditEvent::LoginSucceeded { provider: "github".into(), ident: "github:42".into() };
/// assert_eq!(event.name(), "login_succeeded");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditEvent {
    /// A login started: the browser is sent to the provider.
    LoginStarted {
        /// The provider's name (`"github"`).
        provider: String,
    },
    /// A login succeeded: `get_auth` let the user in.
    LoginSucceeded {
        /// The provider's name.
        provider: String,
        /// The user's qualified ident (`"github:42"`).
        ident: String,
    },
    /// The provider vouched for the user, and `get_auth` refused them.
    LoginDenied {
        /// The provider's name.
        provider: String,
        /// The user's qualified ident.
        ident: String,
    },
    /// A login failed before `get_auth` was asked.
    LoginFailed {
        /// The provider's name.
        provider: String,
        /// The stable [`Error::code`](crate::Error::code) (`"state_mismatch"`, `"id_token"`...).
        code: &'static str,
    },
    /// A session ended by a logout.
    Logout {
        /// Who asked for it.
        kind: LogoutKind,
        /// The user's qualified ident, when the session had one.
        ident: Option<String>,
    },
    /// A refresh of the user's tokens at the provider.
    Refresh {
        /// The provider's name.
        provider: String,
        /// How it went.
        outcome: RefreshOutcome,
    },
    /// The user's tokens were revoked at the provider.
    Revoked {
        /// The provider's name.
        provider: String,
    },
    /// `check_invalid` ended a session.
    SessionInvalidated {
        /// The user's qualified ident.
        ident: String,
    },
}

/// Who ended a session: [`AuditEvent::Logout`].
///
/// ```
/// use axum_oauth_login::audit::LogoutKind;
/// assert_eq!(LogoutKind::BackChannel.as_str(), "back_channel");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogoutKind {
    /// The user logged out here (`/logout`).
    Local,
    /// The user logged out here and at the provider (RP-initiated logout).
    Provider,
    /// The provider ended the session (back-channel logout).
    BackChannel,
}

impl LogoutKind {
    /// A stable name: `local`, `provider`, `back_channel`.
    ///
    /// ```
    /// assert_eq!(axum_oauth_login::audit::LogoutKind::Local.as_str(), "local");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Provider => "provider",
            Self::BackChannel => "back_channel",
        }
    }
}

/// How a refresh went: [`AuditEvent::Refresh`].
///
/// ```
/// use axum_oauth_login::audit::RefreshOutcome;
/// assert_eq!(RefreshOutcome::InvalidGrant.as_str(), "invalid_grant");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshOutcome {
    /// New tokens.
    Refreshed,
    /// The provider refused the refresh token: the session ended.
    InvalidGrant,
    /// The provider could not be reached or failed: the tokens were kept for a later try.
    Transient,
}

impl RefreshOutcome {
    /// A stable name: `refreshed`, `invalid_grant`, `transient`.
    ///
    /// ```
    /// assert_eq!(axum_oauth_login::audit::RefreshOutcome::Refreshed.as_str(), "refreshed");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refreshed => "refreshed",
            Self::InvalidGrant => "invalid_grant",
            Self::Transient => "transient",
        }
    }
}

impl AuditEvent {
    /// The event's stable name, as in the `event` field of its `tracing` event
    /// (`"login_succeeded"`).
    ///
    /// ```
    /// use axum_oauth_login::audit::AuditEvent;
    /// assert_eq!(AuditEvent::Revoked { provider: "google".into() }.name(), "revoked");
    /// ```
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::LoginStarted { .. } => "login_started",
            Self::LoginSucceeded { .. } => "login_succeeded",
            Self::LoginDenied { .. } => "login_denied",
            Self::LoginFailed { .. } => "login_failed",
            Self::Logout { .. } => "logout",
            Self::Refresh { .. } => "refresh",
            Self::Revoked { .. } => "revoked",
            Self::SessionInvalidated { .. } => "session_invalidated",
        }
    }

    /// The `tracing` event: `warn` for failures, `info` for the rest.
    fn trace(&self) {
        const TARGET: &str = "axum_oauth_login::audit";
        let event = self.name();
        match self {
            Self::LoginStarted { provider } => {
                tracing::info!(target: TARGET, event, provider = provider.as_str(), "login started");
            }
            Self::LoginSucceeded { provider, ident } => {
                tracing::info!(target: TARGET, event, provider = provider.as_str(), ident = ident.as_str(), "login succeeded");
            }
            Self::LoginDenied { provider, ident } => {
                tracing::info!(target: TARGET, event, provider = provider.as_str(), ident = ident.as_str(), "get_auth denied the login");
            }
            Self::LoginFailed { provider, code } => {
                tracing::warn!(target: TARGET, event, provider = provider.as_str(), code, "login failed");
            }
            Self::Logout { kind, ident } => {
                tracing::info!(target: TARGET, event, kind = kind.as_str(), ident = ident.as_deref(), "logged out");
            }
            Self::Refresh { provider, outcome } => {
                if *outcome == RefreshOutcome::Refreshed {
                    tracing::info!(target: TARGET, event, provider = provider.as_str(), outcome = outcome.as_str(), "tokens refreshed");
                } else {
                    tracing::warn!(target: TARGET, event, provider = provider.as_str(), outcome = outcome.as_str(), "refresh failed");
                }
            }
            Self::Revoked { provider } => {
                tracing::info!(target: TARGET, event, provider = provider.as_str(), "tokens revoked");
            }
            Self::SessionInvalidated { ident } => {
                tracing::info!(target: TARGET, event, ident = ident.as_str(), "check_invalid ended the session");
            }
        }
    }
}

/// The app's hook: called with every event, on the request's task (keep it quick, or hand the
/// event to a channel).
pub(crate) type Hook = Arc<dyn Fn(&AuditEvent) + Send + Sync>;

/// Counts an audit event in `oauth_events_total` (the list of metrics: `describe_metrics`).
fn count(event: &AuditEvent) {
    use AuditEvent as E;
    let name = event.name();
    match event {
        E::LoginStarted { provider }
        | E::LoginSucceeded { provider, .. }
        | E::LoginDenied { provider, .. }
        | E::Revoked { provider } => {
            metrics::counter!("oauth_events_total", "event" => name, "provider" => provider.clone())
                .increment(1);
        }
        E::LoginFailed { provider, code } => {
            metrics::counter!("oauth_events_total", "event" => name, "provider" => provider.clone(), "code" => *code)
                .increment(1);
        }
        E::Logout { kind, .. } => {
            metrics::counter!("oauth_events_total", "event" => name, "kind" => kind.as_str())
                .increment(1);
        }
        E::Refresh { provider, outcome } => {
            metrics::counter!("oauth_events_total", "event" => name, "provider" => provider.clone(), "outcome" => outcome.as_str())
                .increment(1);
        }
        E::SessionInvalidated { .. } => {
            metrics::counter!("oauth_events_total", "event" => name).increment(1);
        }
    }
}

/// Where events go: `tracing`, the metrics, and the hook.
#[derive(Clone, Default)]
pub(crate) struct Audit {
    hook: Option<Hook>,
}

impl fmt::Debug for Audit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Audit")
            .field("hook", &self.hook.is_some())
            .finish()
    }
}

impl Audit {
    pub(crate) fn new(hook: Option<Hook>) -> Self {
        Self { hook }
    }

    /// Records `event`.
    pub(crate) fn record(&self, event: AuditEvent) {
        event.trace();
        count(&event);
        if let Some(hook) = &self.hook {
            hook(&event);
        }
    }
}
