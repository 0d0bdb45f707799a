//! Providers: endpoints, scopes and quirks of each.

use url::Url;

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMethod {
    /// `client_secret_basic`: HTTP Basic (the default of RFC 6749).
    #[default]
    Basic,
    /// `client_secret_post`: `client_id` and `client_secret` in the form body.
    Post,
}

/// OpenID Connect specifics: ID tokens are verified when this is set.
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
/// this crate does not know.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// The provider key (`"github"`, `"google"`, `"oidc"`, `"dev"`), used in logs and errors.
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
