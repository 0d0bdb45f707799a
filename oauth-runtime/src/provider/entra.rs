//! Microsoft Entra ID (the Microsoft identity platform, v2.0 endpoints; OpenID Connect).

use serde_json::{Map, Value};

use super::{
    AuthMethod, Base, OidcConfig, Provider, ProviderConfig, credentials_from_env, env_var, scopes,
};
use crate::spec::exact_issuer;
use crate::userinfo::is_true;
use crate::{Client, Error, UserInfo};

/// The placeholder of Entra ID's multi-tenant issuer (`https://login.microsoftonline.com/{tenantid}/v2.0`).
const TENANT_PLACEHOLDER: &str = "{tenantid}";

const LOGIN: &str = "https://login.microsoftonline.com";

/// The tenant of personal Microsoft accounts (outlook.com, xbox.com, ...).
const PERSONAL_TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

/// "Sign in with Microsoft": Microsoft Entra ID (formerly Azure AD), work, school and personal
/// Microsoft accounts. The provider key is `"entra"`.
///
/// The tenant in the endpoints decides who may sign in:
///
/// | tenant | who | accepted ID tokens |
/// |---|---|---|
/// | a tenant id (GUID) | that tenant's users | `iss` = `https://login.microsoftonline.com/{id}/v2.0` exactly |
/// | `consumers` | personal accounts | `iss` of the personal-account tenant (`9188040d-…`) exactly |
/// | `organizations` | any work or school tenant | `iss` of the token's own `tid`, not the personal-account tenant |
/// | `common` | any tenant, personal accounts too | `iss` of the token's own `tid` |
/// | a domain (`contoso.onmicrosoft.com`) | that tenant's users | `iss` of the token's own `tid` |
///
/// Multi-tenant discovery names the issuer `https://login.microsoftonline.com/{tenantid}/v2.0`,
/// a template: every tenant signs with the same keys, so an ID token is accepted only when its
/// `iss` is the template with its own `tid` (a GUID) put in. Restrict the tenants further with
/// [`with_tenants`](Self::with_tenants).
///
/// Scopes `openid profile email`. The user is read from the verified ID token (issuer and keys at
/// `https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys`); Graph's user info endpoint
/// (`https://graph.microsoft.com/oidc/userinfo`) is not called, since its answer lacks `oid` and
/// `tid` and adds nothing the ID token does not say. The user's id
/// ([`UserInfo::ident`](crate::UserInfo::ident)) is `sub`: stable, but pairwise (another app
/// sees another `sub` for the same user). To recognise a user across apps, use `oid` with `tid`
/// from [`UserInfo::entra`](crate::UserInfo::entra).
///
/// Entra ID does not vouch for `email` (any tenant can type any address), so
/// [`UserInfo::email_verified`](crate::UserInfo::email_verified) is true only when the ID token
/// carries the optional claim `xms_edov` ("email domain owner verified") set to true; add it in
/// the app registration under *Token configuration*. The logout endpoint is
/// `/{tenant}/oauth2/v2.0/logout`; Entra ID has no token revocation endpoint.
///
/// ```
/// use axum_oauth_login::EntraAppClient;
/// let client = EntraAppClient::new("common", "11111111-2222-3333-4444-555555555555", "secret")?;
/// assert_eq!(client.provider().name, "entra");
/// assert_eq!(
///     client.provider().token_url.as_str(),
///     "https://login.microsoftonline.com/common/oauth2/v2.0/token",
/// );
/// assert_eq!(
///     client.provider().oidc.as_ref().unwrap().issuer,
///     "https://login.microsoftonline.com/{tenantid}/v2.0",
/// );
/// # Ok::<(), axum_oauth_login::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct EntraAppClient {
    client: Client,
    tenant: String,
}

/// Entra ID's quirks: the multi-tenant issuer, the tenants admitted, the unverified email.
#[derive(Debug)]
struct Entra {
    config: ProviderConfig,
    tenants: TenantPolicy,
}

impl Provider for Entra {
    fn config(&self) -> ProviderConfig {
        self.config.clone()
    }

    /// `common`, `organizations` and domain tenants: the issuer names the user's tenant, its
    /// `tid`, which must be a GUID the policy admits. Every tenant signs with the same keys, so
    /// without this any tenant's token for this app would pass.
    fn check_issuer(
        &self,
        configured: &str,
        claims: &Map<String, Value>,
    ) -> Result<(), &'static str> {
        if !configured.contains(TENANT_PLACEHOLDER) {
            return exact_issuer(configured, claims);
        }
        let iss = claims.get("iss").and_then(Value::as_str);
        let Some(tid) = claims
            .get("tid")
            .and_then(Value::as_str)
            .filter(|t| is_guid(t))
        else {
            return Err("missing or malformed claim `tid`");
        };
        if iss != Some(configured.replace(TENANT_PLACEHOLDER, tid).as_str()) {
            return Err("wrong issuer for the token's tenant");
        }
        if !self.tenants.admits(tid) {
            return Err("the user's tenant is not allowed");
        }
        Ok(())
    }

    /// Entra ID's `email` is whatever the tenant typed (Microsoft's "nOAuth" advisory): it counts
    /// as verified only with the optional claim `xms_edov` ("email domain owner verified") set to
    /// true.
    fn fix_user_info(&self, info: &mut UserInfo) {
        info.email_verified = info.email.is_some() && info.raw.get("xms_edov").is_some_and(is_true);
    }
}

/// Which tenants' ID tokens a multi-tenant client accepts.
#[derive(Debug)]
struct TenantPolicy {
    /// Only these tenant ids (lower case), when set.
    allowed: Option<Vec<String>>,
    /// Whether personal accounts are accepted (when `allowed` is not set).
    personal: bool,
}

impl TenantPolicy {
    fn admits(&self, tid: &str) -> bool {
        let tid = tid.to_ascii_lowercase();
        match &self.allowed {
            Some(allowed) => allowed.contains(&tid),
            None => self.personal || tid != PERSONAL_TENANT,
        }
    }
}

/// The tenant segment, normalised; an error for anything that is not one.
fn parse_tenant(tenant: &str) -> Result<String, Error> {
    let tenant = tenant.trim().to_ascii_lowercase();
    let domain = tenant.contains('.')
        && tenant.len() <= 253
        && tenant.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if is_guid(&tenant)
        || domain
        || matches!(tenant.as_str(), "common" | "organizations" | "consumers")
    {
        Ok(tenant)
    } else {
        Err(Error::Config(
            "the Entra ID tenant must be a tenant id (GUID), a domain, `common`, `organizations` or `consumers`"
                .into(),
        ))
    }
}

/// The endpoints of `tenant` under `base` (`https://login.microsoftonline.com`).
fn config_for(base: &Base, tenant: &str) -> ProviderConfig {
    let issuer_tenant = match tenant {
        t if is_guid(t) => t,
        "consumers" => PERSONAL_TENANT,
        // `common`, `organizations` and domains: the token's own tenant (`Entra::check_issuer`).
        _ => TENANT_PLACEHOLDER,
    };
    ProviderConfig {
        name: "entra",
        auth_url: base.join(&format!("/{tenant}/oauth2/v2.0/authorize")),
        token_url: base.join(&format!("/{tenant}/oauth2/v2.0/token")),
        userinfo_url: None,
        revocation_url: None,
        end_session_url: Some(base.join(&format!("/{tenant}/oauth2/v2.0/logout"))),
        oidc: Some(OidcConfig {
            issuer: format!("{}/{issuer_tenant}/v2.0", base.as_str()),
            jwks_url: base.join(&format!("/{tenant}/discovery/v2.0/keys")),
            backchannel_logout: false,
        }),
        scopes: scopes(&["openid", "profile", "email"]),
        id_key: "sub".to_owned(),
        auth_method: AuthMethod::Post,
        iss_parameter: false,
        par_url: None,
        require_par: false,
        dpop: false,
        extra_auth_params: Vec::new(),
    }
}

fn default_policy(tenant: &str) -> TenantPolicy {
    TenantPolicy {
        allowed: None,
        personal: matches!(tenant, "common" | "consumers"),
    }
}

impl EntraAppClient {
    /// A client of the app `client_id` (the *Application (client) ID*) signing users in through
    /// `tenant`: a tenant id, a domain, `common`, `organizations` or `consumers` (see the type's
    /// docs).
    ///
    /// # Errors
    /// [`Error::Config`] when `tenant` is none of these.
    ///
    /// ```
    /// use axum_oauth_login::EntraAppClient;
    /// let client = EntraAppClient::new("9122040d-6c67-4c5b-b112-36a304b66dad", "app-id", "secret")?;
    /// assert_eq!(
    ///     client.provider().oidc.as_ref().unwrap().issuer,
    ///     "https://login.microsoftonline.com/9122040d-6c67-4c5b-b112-36a304b66dad/v2.0",
    /// );
    /// assert!(EntraAppClient::new("not a tenant", "app-id", "secret").is_err());
    /// # Ok::<(), axum_oauth_login::Error>(())
    /// ```
    pub fn new(
        tenant: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<Self, Error> {
        let tenant = parse_tenant(tenant)?;
        let base = Base::parse(LOGIN)?;
        let entra = Entra {
            config: config_for(&base, &tenant),
            tenants: default_policy(&tenant),
        };
        let client = Client::from_provider(entra, client_id, Some(client_secret.into()));
        Ok(Self { client, tenant })
    }

    /// A client configured by `ENTRA_TENANT`, `AUTH_CLIENT_ID` and `AUTH_CLIENT_SECRET`.
    ///
    /// # Errors
    /// [`Error::Config`] naming the variable that is missing, or for a malformed tenant.
    ///
    /// ```
    /// match axum_oauth_login::EntraAppClient::from_env() {
    ///     Ok(client) => println!("logging in through tenant {}", client.tenant()),
    ///     Err(error) => assert_eq!(error.code(), "config"),
    /// }
    /// ```
    pub fn from_env() -> Result<Self, Error> {
        let tenant = env_var("ENTRA_TENANT")?;
        let (id, secret) = credentials_from_env("AUTH_CLIENT_ID", "AUTH_CLIENT_SECRET")?;
        Self::new(&tenant, id, secret)
    }

    /// The tenant segment of the endpoints, in lower case.
    ///
    /// ```
    /// let client = axum_oauth_login::EntraAppClient::new("Organizations", "id", "secret")?;
    /// assert_eq!(client.tenant(), "organizations");
    /// # Ok::<(), axum_oauth_login::Error>(())
    /// ```
    #[must_use]
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The same client accepting only users of these tenants (tenant ids), for an app open to
    /// several organisations but not to all. List the personal-account tenant
    /// (`9188040d-6c67-4c5b-b112-36a304b66dad`) to accept personal accounts too.
    ///
    /// The list applies to multi-tenant clients (`common`, `organizations`, a domain); a client
    /// of one tenant id accepts that tenant's tokens only anyway.
    ///
    /// # Errors
    /// [`Error::Config`] when an entry is not a GUID.
    ///
    /// ```
    /// use axum_oauth_login::EntraAppClient;
    /// let client = EntraAppClient::new("organizations", "app-id", "secret")?
    ///     .with_tenants(["9122040d-6c67-4c5b-b112-36a304b66dad"])?;
    /// assert!(EntraAppClient::new("common", "id", "s")?.with_tenants(["contoso.com"]).is_err());
    /// # Ok::<(), axum_oauth_login::Error>(())
    /// ```
    pub fn with_tenants<I, S>(self, tenants: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut allowed = Vec::new();
        for tenant in tenants {
            let tenant = tenant.as_ref().trim().to_ascii_lowercase();
            if !is_guid(&tenant) {
                return Err(Error::Config(
                    "an allowed Entra ID tenant must be a tenant id (GUID)".into(),
                ));
            }
            allowed.push(tenant);
        }
        let entra = Entra {
            config: self.client.provider().clone(),
            tenants: TenantPolicy {
                allowed: Some(allowed),
                personal: false,
            },
        };
        Ok(Self {
            client: self.client.replace_provider(entra),
            tenant: self.tenant,
        })
    }

    /// The same client talking to the endpoints under `base` instead of
    /// `https://login.microsoftonline.com` (same paths and tenant), for a national cloud
    /// (`https://login.microsoftonline.us`) or a test server. Scopes and other settings are kept.
    ///
    /// # Errors
    /// [`Error::Config`] when `base` is not an absolute URL.
    ///
    /// ```
    /// let client = axum_oauth_login::EntraAppClient::new("common", "id", "secret")?
    ///     .with_endpoints("http://127.0.0.1:9000")?;
    /// assert_eq!(
    ///     client.provider().auth_url.as_str(),
    ///     "http://127.0.0.1:9000/common/oauth2/v2.0/authorize",
    /// );
    /// # Ok::<(), axum_oauth_login::Error>(())
    /// ```
    pub fn with_endpoints(self, base: &str) -> Result<Self, Error> {
        let at = config_for(&Base::parse(base)?, &self.tenant);
        Ok(Self {
            client: self
                .client
                .with_provider(|config| config.replace_endpoints(at)),
            tenant: self.tenant,
        })
    }

    /// The same client asking for `scopes` instead of the defaults (add `offline_access` for a
    /// refresh token).
    ///
    /// ```
    /// let client = axum_oauth_login::EntraAppClient::new("common", "id", "secret")?
    ///     .with_scopes(["openid", "profile", "email", "offline_access"]);
    /// assert_eq!(client.provider().scopes.len(), 4);
    /// # Ok::<(), axum_oauth_login::Error>(())
    /// ```
    #[must_use]
    pub fn with_scopes<I, S>(self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            client: self.client.with_scopes(scopes),
            tenant: self.tenant,
        }
    }

    /// The same client with its provider description changed by `edit` (see
    /// [`Client::with_provider`]).
    ///
    /// ```
    /// let client = axum_oauth_login::EntraAppClient::new("common", "id", "secret")?
    ///     .with_provider(|p| p.extra_auth_params.push(("prompt".into(), "select_account".into())));
    /// assert_eq!(client.provider().extra_auth_params[0].1, "select_account");
    /// # Ok::<(), axum_oauth_login::Error>(())
    /// ```
    #[must_use]
    pub fn with_provider(self, edit: impl FnOnce(&mut ProviderConfig)) -> Self {
        Self {
            client: self.client.with_provider(edit),
            tenant: self.tenant,
        }
    }
}

impl std::ops::Deref for EntraAppClient {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl From<EntraAppClient> for Client {
    fn from(client: EntraAppClient) -> Self {
        client.client
    }
}

/// A tenant id: a GUID (`8-4-4-4-12` hexadecimal digits).
fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
}
