//! One error type with stable codes.

use std::fmt;

/// Everything that can go wrong during a login, a logout or a guarded request.
///
/// Each variant has a stable [`code`](Error::code): it is what the error page shows, what the
/// `/error?code=` redirect carries and what tests assert on. Messages never carry a token, a
/// secret, an authorization code or a raw provider body.
///
/// ```
/// use axum_oauth_login::Error;
/// assert_eq!(Error::StateMismatch.code(), "state_mismatch");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The provider redirected back with `?error=...` (for example the user pressed "cancel").
    #[error("the provider refused the login ({0})")]
    Provider(ProviderErrorCode),
    /// The callback's `state` is unknown, used or expired (login CSRF or a stale tab).
    #[error("the login could not be matched to one started here (state mismatch)")]
    StateMismatch,
    /// The provider sent the browser back from its logout page (RP-initiated logout) without the
    /// `state` of a logout started here, or with another one. The user is logged out here
    /// anyway; only the return is refused.
    #[error("the return from the provider's logout could not be matched to a logout started here")]
    LogoutStateMismatch,
    /// The callback came without `code`.
    #[error("the provider's answer has no authorization code")]
    MissingCode,
    /// The `iss` of the authorization response is not the provider's issuer (RFC 9207).
    #[error("the authorization response came from another issuer")]
    IssuerMismatch,
    /// The token endpoint refused the code or answered something that is not a token response.
    #[error("the token request failed: {0}")]
    TokenExchange(String),
    /// The ID token did not verify (signature, issuer, audience, expiry or nonce).
    #[error("the ID token is invalid: {0}")]
    IdToken(String),
    /// The user info request failed or answered without the user's id.
    #[error("the user info request failed: {0}")]
    UserInfo(String),
    /// The provider could not be reached, was too slow or answered too much.
    #[error("the provider could not be reached: {0}")]
    Network(String),
    /// OpenID Connect discovery failed.
    #[error("the provider's discovery document is unusable: {0}")]
    Discovery(String),
    /// The session store failed (fail closed: the request is refused with 503).
    #[error("the session store is unavailable")]
    SessionStore,
    /// A configuration value is missing or malformed (for example `AUTH_CLIENT_ID`).
    #[error("configuration: {0}")]
    Config(String),
    /// The refresh token was refused: the user has to log in again.
    #[error("the refresh token was refused; log in again")]
    InvalidGrant,
    /// The session has no tokens (not logged in, or logged in without the tokens being kept).
    #[error("the session holds no tokens")]
    NoTokens,
    /// The pushed authorization request endpoint (RFC 9126) refused the login's parameters or
    /// answered something unusable: the login fails, with no fallback to an unpushed request.
    #[error("the pushed authorization request failed: {0}")]
    PushedAuthorization(String),
    /// A login for a route that needs a stronger or more recent one (step-up, see
    /// [`StepUp`](crate::StepUp)) came back without the `acr` or the `auth_time` asked for.
    #[error("the login is not strong or recent enough for this page")]
    InsufficientAuthentication,
    /// The provider offers no endpoint for this operation (refresh, revocation).
    #[error("the provider does not support {0}")]
    Unsupported(&'static str),
}

impl Error {
    /// The stable, documented code of this error.
    ///
    /// ```
    /// # use axum_oauth_login::Error;
    /// assert_eq!(Error::SessionStore.code(), "session_store");
    /// ```
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Provider(code) => code.as_str(),
            Self::StateMismatch => "state_mismatch",
            Self::LogoutStateMismatch => "logout_state_mismatch",
            Self::MissingCode => "missing_code",
            Self::IssuerMismatch => "issuer_mismatch",
            Self::TokenExchange(_) => "token_exchange",
            Self::PushedAuthorization(_) => "pushed_authorization",
            Self::InsufficientAuthentication => "insufficient_authentication",
            Self::IdToken(_) => "id_token",
            Self::UserInfo(_) => "user_info",
            Self::Network(_) => "network",
            Self::Discovery(_) => "discovery",
            Self::SessionStore => "session_store",
            Self::Config(_) => "config",
            Self::InvalidGrant => "invalid_grant",
            Self::NoTokens => "no_tokens",
            Self::Unsupported(_) => "unsupported",
        }
    }

    /// The HTTP status that fits this error when it ends a request.
    ///
    /// ```
    /// use axum_oauth_login::Error;
    /// assert_eq!(Error::SessionStore.status(), http::StatusCode::SERVICE_UNAVAILABLE);
    /// ```
    #[must_use]
    pub fn status(&self) -> http::StatusCode {
        match self {
            Self::SessionStore => http::StatusCode::SERVICE_UNAVAILABLE,
            Self::Network(_) | Self::Discovery(_) | Self::PushedAuthorization(_) => {
                http::StatusCode::BAD_GATEWAY
            }
            Self::Config(_) => http::StatusCode::INTERNAL_SERVER_ERROR,
            _ => http::StatusCode::BAD_REQUEST,
        }
    }
}

/// The error page: the status, the stable code and a fixed sentence; never the details.
impl axum::response::IntoResponse for Error {
    fn into_response(self) -> axum::response::Response {
        let code = self.code();
        let page = format!(
            "<!doctype html><title>Login error</title><h1>Login error</h1><p>Something went wrong while logging you in.</p><p>Error code: <code>{code}</code></p><p><a href=\"/\">Back</a></p>"
        );
        (self.status(), axum::response::Html(page)).into_response()
    }
}

impl From<tower_sessions::session::Error> for Error {
    fn from(_: tower_sessions::session::Error) -> Self {
        Self::SessionStore
    }
}

impl From<tower_sessions::session_store::Error> for Error {
    fn from(_: tower_sessions::session_store::Error) -> Self {
        Self::SessionStore
    }
}

/// The `error` of an authorization error response (RFC 6749 §4.1.2.1), reduced to the
/// registered values so that nothing the provider wrote reaches a page or a log unchecked.
///
/// ```
/// use axum_oauth_login::error::ProviderErrorCode;
/// assert_eq!(ProviderErrorCode::parse("access_denied").as_str(), "access_denied");
/// assert_eq!(ProviderErrorCode::parse("<script>").as_str(), "provider_error");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProviderErrorCode {
    /// `access_denied`: the user or the provider refused.
    AccessDenied,
    /// `invalid_request`
    InvalidRequest,
    /// `unauthorized_client`
    UnauthorizedClient,
    /// `unsupported_response_type`
    UnsupportedResponseType,
    /// `invalid_scope`
    InvalidScope,
    /// `server_error`
    ServerError,
    /// `temporarily_unavailable`
    TemporarilyUnavailable,
    /// `login_required`, `consent_required`, `interaction_required` (OpenID Connect)
    InteractionRequired,
    /// Anything else.
    Other,
}

impl ProviderErrorCode {
    /// Maps the provider's `error` parameter to a known code.
    ///
    /// ```
    /// use axum_oauth_login::error::ProviderErrorCode;
    /// assert_eq!(ProviderErrorCode::parse("temporarily_unavailable").as_str(), "temporarily_unavailable");
    /// ```
    #[must_use]
    pub fn parse(value: &str) -> Self {
        match value {
            "access_denied" => Self::AccessDenied,
            "invalid_request" => Self::InvalidRequest,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_response_type" => Self::UnsupportedResponseType,
            "invalid_scope" => Self::InvalidScope,
            "server_error" => Self::ServerError,
            "temporarily_unavailable" => Self::TemporarilyUnavailable,
            "login_required" | "consent_required" | "interaction_required" => {
                Self::InteractionRequired
            }
            _ => Self::Other,
        }
    }

    /// The code as shown on the error page.
    ///
    /// ```
    /// use axum_oauth_login::error::ProviderErrorCode;
    /// assert_eq!(ProviderErrorCode::parse("invalid_scope").as_str(), "invalid_scope");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessDenied => "access_denied",
            Self::InvalidRequest => "invalid_request",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InteractionRequired => "interaction_required",
            Self::Other => "provider_error",
        }
    }
}

impl fmt::Display for ProviderErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
