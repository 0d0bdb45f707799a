//! What a provider says about the user, and the tokens of a login.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The user as the provider describes them: FastHTML's `info`.
///
/// The common fields are filled from each provider's own keys; `raw` keeps the whole answer for
/// anything else (`info.raw["login"]` on GitHub). For a typed view of the answer, ask for the
/// provider's: [`github`](Self::github), [`google`](Self::google), [`discord`](Self::discord),
/// [`huggingface`](Self::huggingface), [`apple`](Self::apple), [`gitlab`](Self::gitlab),
/// [`entra`](Self::entra), or the standard claims of any OpenID Connect provider with
/// [`oidc`](Self::oidc) (see [`profile`](crate::profile)).
///
/// ```
/// use axum_oauth_login::UserInfo;
/// let info = UserInfo::from_claims("sub", serde_json::json!({
///     "sub": "42", "email": "ada@example.com", "email_verified": true,
/// })).unwrap();
/// assert_eq!(info.ident, "42");
/// assert_eq!(info.email.as_deref(), Some("ada@example.com"));
/// assert!(info.email_verified);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserInfo {
    /// The user's unique, stable id at the provider (`sub`, or GitHub's and Discord's `id`).
    pub ident: String,
    /// The user's email address, if the provider shared one.
    pub email: Option<String>,
    /// True only when the provider says the email address is verified.
    pub email_verified: bool,
    /// The display name (Discord's `global_name`; with Apple, the name Apple posts at the first
    /// login only).
    pub name: Option<String>,
    /// The user name (`login` on GitHub, `preferred_username` in OpenID Connect, `username` on Discord).
    pub username: Option<String>,
    /// A picture URL.
    pub picture: Option<String>,
    /// The key of the provider that answered ([`ProviderConfig::name`]: `"github"`, `"google"`,
    /// `"oidc"`, ...); empty when unknown (info built by [`from_claims`](Self::from_claims) alone,
    /// or stored before this field existed). The typed views check it.
    ///
    /// [`ProviderConfig::name`]: crate::provider::ProviderConfig::name
    #[serde(default)]
    pub provider: String,
    /// The provider's answer as it came.
    pub raw: serde_json::Value,
}

impl UserInfo {
    /// Builds user info from OpenID-style claims, taking the id from `id_key`. Integer ids (GitHub,
    /// Discord snowflakes sent as numbers) become their decimal string. `None` when the id is
    /// missing or empty.
    ///
    /// The email counts as verified only when there is one and `email_verified` is `true` (or the
    /// string `"true"`, as Apple and some older providers send it). The
    /// [`provider`](Self::provider) is left empty: set it with
    /// [`with_provider`](Self::with_provider).
    ///
    /// ```
    /// use axum_oauth_login::UserInfo;
    /// let info = UserInfo::from_claims("id", serde_json::json!({"id": 583231, "login": "octocat"})).unwrap();
    /// assert_eq!(info.ident, "583231");
    /// assert_eq!(info.username.as_deref(), Some("octocat"));
    /// assert!(!info.email_verified);
    /// assert!(UserInfo::from_claims("sub", serde_json::json!({"sub": ""})).is_none());
    /// ```
    #[must_use]
    pub fn from_claims(id_key: &str, raw: serde_json::Value) -> Option<Self> {
        let ident = match raw.get(id_key)? {
            serde_json::Value::String(s) if !s.is_empty() => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => return None,
        };
        let text = |key: &str| raw.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        let email = text("email");
        // Apple, older Google and Cognito send the flag as a string. Without an address there
        // is nothing verified.
        let email_verified = email.is_some() && raw.get("email_verified").is_some_and(is_true);
        Some(Self {
            ident,
            email,
            email_verified,
            name: text("name"),
            username: text("preferred_username")
                .or_else(|| text("login"))
                .or_else(|| text("username")),
            picture: text("picture").or_else(|| text("avatar_url")),
            provider: String::new(),
            raw,
        })
    }

    /// The same info marked as coming from `provider` (a [`ProviderConfig::name`] such as
    /// `"github"`), which the typed views check. The login sets it; call it yourself for info
    /// built with [`from_claims`](Self::from_claims).
    ///
    /// [`ProviderConfig::name`]: crate::provider::ProviderConfig::name
    ///
    /// ```
    /// use axum_oauth_login::UserInfo;
    /// let info = UserInfo::from_claims("id", serde_json::json!({"id": 1, "login": "octocat"})).unwrap();
    /// assert!(info.github().is_none(), "no provider, no typed view");
    /// let info = info.with_provider("github");
    /// assert_eq!(info.github().unwrap().login, "octocat");
    /// ```
    #[must_use]
    pub fn with_provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = provider.into();
        self
    }

    /// The domain of a verified email address, lower-cased; `None` when there is no verified email.
    ///
    /// ```
    /// # use axum_oauth_login::UserInfo;
    /// let info = UserInfo::from_claims("sub", serde_json::json!({
    ///     "sub": "1", "email": "ada@Answer.AI", "email_verified": true,
    /// })).unwrap();
    /// assert_eq!(info.verified_email_domain().as_deref(), Some("answer.ai"));
    /// ```
    #[must_use]
    pub fn verified_email_domain(&self) -> Option<String> {
        if !self.email_verified {
            return None;
        }
        let (_, domain) = self.email.as_deref()?.rsplit_once('@')?;
        Some(domain.to_ascii_lowercase())
    }
}

/// The tokens of one login. They live in that user's session, never on the shared client.
///
/// `Debug` does not print the tokens.
///
/// ```
/// use axum_oauth_login::Tokens;
/// let tokens = Tokens::new("secret-access-token");
/// assert_eq!(tokens.access_token(), "secret-access-token");
/// assert!(!format!("{tokens:?}").contains("secret"));
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Tokens {
    access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    /// Unix time (seconds) at which the access token expires, if the provider said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    scopes: Vec<String>,
    /// The session's DPoP key (a private JWK) when the tokens are bound to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dpop_key: Option<String>,
}

impl Tokens {
    /// Tokens with only an access token.
    ///
    /// ```
    /// use axum_oauth_login::Tokens;
    /// let tokens = Tokens::new("at");
    /// assert_eq!(tokens.access_token(), "at");
    /// assert_eq!(tokens.refresh_token(), None);
    /// ```
    #[must_use]
    pub fn new(access_token: impl Into<String>) -> Self {
        Self {
            access_token: access_token.into(),
            refresh_token: None,
            id_token: None,
            expires_at: None,
            scopes: Vec::new(),
            dpop_key: None,
        }
    }

    /// Binds the tokens to a DPoP key (stored form).
    pub(crate) fn with_dpop_key(mut self, key: Option<String>) -> Self {
        self.dpop_key = key;
        self
    }

    /// The DPoP key the tokens are bound to (stored form).
    pub(crate) fn dpop_key(&self) -> Option<&str> {
        self.dpop_key.as_deref()
    }

    /// Whether the access token is DPoP-bound (RFC 9449): calls with it need
    /// [`dpop_proof`](Self::dpop_proof) and the `DPoP` scheme ([`authorization`](Self::authorization)).
    ///
    /// ```
    /// assert!(!axum_oauth_login::Tokens::new("at").is_dpop());
    /// ```
    #[must_use]
    pub fn is_dpop(&self) -> bool {
        self.dpop_key.is_some()
    }

    /// The `Authorization` header value for a call with the access token: `DPoP <token>` for a
    /// DPoP-bound token, else `Bearer <token>`.
    ///
    /// ```
    /// assert_eq!(axum_oauth_login::Tokens::new("at").authorization(), "Bearer at");
    /// ```
    #[must_use]
    pub fn authorization(&self) -> String {
        let scheme = if self.is_dpop() { "DPoP" } else { "Bearer" };
        format!("{scheme} {}", self.access_token)
    }

    /// For a DPoP-bound token, the `DPoP` header value of a `method` request to `url` with the
    /// access token (RFC 9449 §7: the token's hash included), with the resource server's
    /// `nonce` when it asked for one (`401` with `use_dpop_nonce` and a `DPoP-Nonce` header:
    /// send the request again with a new proof); `None` for a bearer token.
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) when the stored key is unreadable.
    ///
    /// ```
    /// let tokens = axum_oauth_login::Tokens::new("at");
    /// let url = "https://api.example/me".parse().unwrap();
    /// assert_eq!(tokens.dpop_proof("GET", &url, None)?, None);
    /// # Ok::<(), axum_oauth_login::Error>(())
    /// ```
    pub fn dpop_proof(
        &self,
        method: &str,
        url: &url::Url,
        nonce: Option<&str>,
    ) -> Result<Option<String>, crate::Error> {
        let Some(key) = &self.dpop_key else {
            return Ok(None);
        };
        crate::dpop::DpopKey::from_stored(key)?
            .proof(method, url, nonce, Some(&self.access_token))
            .map(Some)
    }

    /// Adds a refresh token.
    ///
    /// ```
    /// use axum_oauth_login::Tokens;
    /// let tokens = Tokens::new("at").with_refresh_token(Some("rt".into()));
    /// assert_eq!(tokens.refresh_token(), Some("rt"));
    /// ```
    #[must_use]
    pub fn with_refresh_token(mut self, token: Option<String>) -> Self {
        self.refresh_token = token;
        self
    }

    /// Adds the raw ID token (kept for RP-initiated logout's `id_token_hint`).
    ///
    /// ```
    /// use axum_oauth_login::Tokens;
    /// let tokens = Tokens::new("at").with_id_token(Some("eyJ...".into()));
    /// assert!(tokens.id_token().is_some());
    /// ```
    #[must_use]
    pub fn with_id_token(mut self, token: Option<String>) -> Self {
        self.id_token = token;
        self
    }

    /// Sets the expiry as a Unix time in seconds.
    ///
    /// ```
    /// use axum_oauth_login::Tokens;
    /// let tokens = Tokens::new("at").with_expires_at(Some(1_900_000_000));
    /// assert_eq!(tokens.expires_at(), Some(1_900_000_000));
    /// ```
    #[must_use]
    pub fn with_expires_at(mut self, at: Option<i64>) -> Self {
        self.expires_at = at;
        self
    }

    /// Sets the granted scopes.
    ///
    /// ```
    /// use axum_oauth_login::Tokens;
    /// let tokens = Tokens::new("at").with_scopes(vec!["openid".into(), "email".into()]);
    /// assert_eq!(tokens.scopes(), ["openid", "email"]);
    /// ```
    #[must_use]
    pub fn with_scopes(mut self, scopes: Vec<String>) -> Self {
        self.scopes = scopes;
        self
    }

    /// The access token, for calling the provider's API on the user's behalf.
    ///
    /// ```
    /// use axum_oauth_login::Tokens;
    /// assert_eq!(Tokens::new("at").access_token(), "at");
    /// ```
    #[must_use]
    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    /// The refresh token, if the provider issued one.
    ///
    /// ```
    /// use axum_oauth_login::Tokens;
    /// assert_eq!(Tokens::new("at").refresh_token(), None);
    /// ```
    #[must_use]
    pub fn refresh_token(&self) -> Option<&str> {
        self.refresh_token.as_deref()
    }

    /// The raw ID token (OpenID Connect), if any.
    ///
    /// ```
    /// use axum_oauth_login::Tokens;
    /// assert_eq!(Tokens::new("at").id_token(), None);
    /// ```
    #[must_use]
    pub fn id_token(&self) -> Option<&str> {
        self.id_token.as_deref()
    }

    /// When the access token expires (Unix seconds), if known.
    ///
    /// ```
    /// use axum_oauth_login::Tokens;
    /// let expired = Tokens::new("at").with_expires_at(Some(0));
    /// assert!(expired.expires_at().is_some_and(|at| at < 1_700_000_000));
    /// ```
    #[must_use]
    pub fn expires_at(&self) -> Option<i64> {
        self.expires_at
    }

    /// The scopes the provider granted, if it said.
    ///
    /// ```
    /// use axum_oauth_login::Tokens;
    /// assert!(Tokens::new("at").scopes().is_empty());
    /// ```
    #[must_use]
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("id_token", &self.id_token.as_ref().map(|_| "[redacted]"))
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .field("dpop", &self.dpop_key.is_some())
            .finish()
    }
}

/// A flag as providers send it: `true`, or the string `"true"` (Apple, older Google, Cognito).
/// Anything else, `"True"` and `1` included, is not a yes.
pub(crate) fn is_true(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(s) => s == "true",
        _ => false,
    }
}
