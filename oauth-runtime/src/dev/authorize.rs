//! The authorization endpoint: the login page and its form.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use url::Url;

use super::params::Params;
use super::store::{Grant, PendingCode, User};
use super::{CLIENT_ID, Fault, Inner, SCOPES, lock, page, random_token, unix_now};

const MAX_STATE: usize = 1024;
const MAX_NONCE: usize = 512;
const MAX_REDIRECT_URI: usize = 2048;

/// A checked authorization request.
#[derive(Debug)]
pub(super) struct AuthRequest {
    client_id: String,
    /// As sent: the token request must repeat it exactly.
    redirect_uri_raw: String,
    redirect_uri: Url,
    state: String,
    code_challenge: String,
    nonce: Option<String>,
    /// `acr_values` as sent (carried through the login form).
    acr_values: Option<String>,
    scope: Vec<&'static str>,
    scope_text: String,
    /// Whether `redirect_uri` is on the app's own origin, where the provider is mounted: only
    /// then are errors sent back there (see [`AuthRequest::refuse`]).
    at_home: bool,
    /// `response_mode=form_post`: the answer is a form the browser posts to the redirect URI.
    form_post: bool,
}

/// Why an authorization request is refused, and how the refusal travels (RFC 6749 §4.1.2.1).
#[derive(Debug)]
enum Refusal {
    /// The client or the redirect URI cannot be trusted (or the redirect URI is another origin's
    /// than the app's): tell the user, redirect nowhere.
    Page(&'static str),
    /// Anything else: back to the client with `error`.
    Redirect {
        to: Box<Url>,
        error: &'static str,
        description: &'static str,
        state: Option<String>,
    },
}

impl Refusal {
    fn respond(self, issuer: &str) -> Response {
        match self {
            Self::Page(message) => page::error(message),
            Self::Redirect {
                to,
                error,
                description,
                state,
            } => {
                let mut pairs = vec![("error", error), ("error_description", description)];
                if let Some(state) = &state {
                    pairs.push(("state", state));
                }
                redirect_back(issuer, &to, &pairs)
            }
        }
    }
}

/// PKCE values (RFC 7636 §4.1): 43 to 128 unreserved characters.
pub(super) fn is_pkce_value(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Printable ASCII, the `VSCHAR` of RFC 6749 Appendix A.
fn is_vschar(value: &str) -> bool {
    value.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

impl AuthRequest {
    /// Checks the request. `home` is the origin the provider is mounted on, the app's: the only
    /// client is that app, so a redirect URI elsewhere is not its callback, and errors are not
    /// sent there (RFC 6749 §4.1.2.1: no automatic redirect to an invalid redirect URI), so the
    /// endpoint is no open redirector. A login the user confirms on the login page, which names
    /// the redirect URI, still goes there: there is no registration to check it against.
    fn parse(params: &Params, home: &url::Origin) -> Result<Self, Refusal> {
        let client_id = params
            .get("client_id")
            .ok_or(Refusal::Page("the request has no client_id"))?;
        if client_id != CLIENT_ID {
            return Err(Refusal::Page(
                "unknown client_id: the development provider knows only `dev-client`",
            ));
        }
        let redirect_uri_raw = params
            .get("redirect_uri")
            .ok_or(Refusal::Page("the request has no redirect_uri"))?;
        let redirect_uri = Url::parse(redirect_uri_raw)
            .ok()
            .filter(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.has_host()
                    && u.fragment().is_none()
                    && u.username().is_empty()
                    && u.password().is_none()
                    && redirect_uri_raw.len() <= MAX_REDIRECT_URI
            })
            .ok_or(Refusal::Page(
                "the redirect_uri must be an absolute http or https URL without fragment or credentials",
            ))?;

        let at_home = redirect_uri.origin() == *home;
        let refuse = |error, description, state: Option<&str>| {
            if at_home {
                Refusal::Redirect {
                    to: Box::new(redirect_uri.clone()),
                    error,
                    description,
                    state: state.map(str::to_owned),
                }
            } else {
                Refusal::Page(description)
            }
        };
        let state = match params.get("state") {
            None => return Err(refuse("invalid_request", "state is required", None)),
            Some(s) if s.len() > MAX_STATE || !is_vschar(s) => {
                return Err(refuse(
                    "invalid_request",
                    "state is too long or not printable ASCII",
                    None,
                ));
            }
            Some(s) => s,
        };
        let refuse = |error, description| refuse(error, description, Some(state));
        match params.get("response_type") {
            Some("code") => {}
            None => return Err(refuse("invalid_request", "response_type is required")),
            Some(_) => {
                return Err(refuse(
                    "unsupported_response_type",
                    "only response_type=code is supported",
                ));
            }
        }
        let code_challenge = params.get("code_challenge").ok_or_else(|| {
            refuse(
                "invalid_request",
                "PKCE is required: send code_challenge and code_challenge_method=S256",
            )
        })?;
        if params.get("code_challenge_method") != Some("S256") {
            return Err(refuse(
                "invalid_request",
                "code_challenge_method must be S256",
            ));
        }
        if !is_pkce_value(code_challenge) {
            return Err(refuse("invalid_request", "code_challenge is malformed"));
        }
        let nonce = params.get("nonce");
        if nonce.is_some_and(|n| n.len() > MAX_NONCE || !is_vschar(n)) {
            return Err(refuse(
                "invalid_request",
                "nonce is too long or not printable ASCII",
            ));
        }
        let form_post = match params.get("response_mode") {
            None | Some("query") => false,
            Some("form_post") => true,
            Some(_) => {
                return Err(refuse(
                    "invalid_request",
                    "response_mode must be query or form_post",
                ));
            }
        };
        let acr_values = params.get("acr_values");
        if acr_values.is_some_and(|a| a.len() > MAX_NONCE || !is_vschar_or_space(a)) {
            return Err(refuse(
                "invalid_request",
                "acr_values is too long or not printable ASCII",
            ));
        }
        // Unknown scopes are dropped (RFC 6749 §3.3 lets the server narrow the scope).
        let scope: Vec<&'static str> = match params.get("scope") {
            None => SCOPES.to_vec(),
            Some(asked) => SCOPES
                .into_iter()
                .filter(|s| asked.split(' ').any(|a| a == *s))
                .collect(),
        };
        if scope.is_empty() {
            return Err(refuse(
                "invalid_scope",
                "none of the scopes is known: use openid, email, profile",
            ));
        }
        Ok(Self {
            client_id: client_id.to_owned(),
            redirect_uri_raw: redirect_uri_raw.to_owned(),
            redirect_uri,
            state: state.to_owned(),
            code_challenge: code_challenge.to_owned(),
            nonce: nonce.map(str::to_owned),
            acr_values: acr_values.map(str::to_owned),
            scope_text: scope.join(" "),
            scope,
            at_home,
            form_post,
        })
    }

    /// The request again, as hidden form fields.
    fn hidden(&self) -> Vec<(&str, &str)> {
        let mut fields = vec![
            ("response_type", "code"),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", self.redirect_uri_raw.as_str()),
            ("state", self.state.as_str()),
            ("code_challenge", self.code_challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("scope", self.scope_text.as_str()),
        ];
        if let Some(nonce) = &self.nonce {
            fields.push(("nonce", nonce));
        }
        if let Some(acr_values) = &self.acr_values {
            fields.push(("acr_values", acr_values));
        }
        if self.form_post {
            fields.push(("response_mode", "form_post"));
        }
        fields
    }

    fn login_page(&self, status: StatusCode, problem: Option<&str>) -> Response {
        page::login(
            status,
            &self.client_id,
            &self.redirect_uri_raw,
            &self.hidden(),
            problem,
        )
    }

    /// Back to the client with `error=access_denied`.
    fn deny(&self, issuer: &str) -> Response {
        self.refuse(issuer, "access_denied", "the user refused the login")
    }

    /// Back to the client with `error` and `state` when the redirect URI is on the app's origin;
    /// otherwise a page saying why, with no redirect.
    fn refuse(&self, issuer: &str, error: &str, description: &'static str) -> Response {
        if !self.at_home {
            return page::error(description);
        }
        let pairs = [
            ("error", error),
            ("error_description", description),
            ("state", self.state.as_str()),
        ];
        self.answer(issuer, &pairs)
    }

    /// Back to the client with `pairs` and `iss`: in the redirect URI's query, or with
    /// `response_mode=form_post` in a form the browser posts there.
    fn answer(&self, issuer: &str, pairs: &[(&str, &str)]) -> Response {
        if !self.form_post {
            return redirect_back(issuer, &self.redirect_uri, pairs);
        }
        let fields = pairs.iter().copied().chain([("iss", issuer)]);
        crate::autopost::page(self.redirect_uri.as_str(), fields)
    }
}

/// `303 See Other` to the client's redirect URI with `pairs` and `iss` (RFC 9207) added to its
/// query (which is kept, RFC 6749 §3.1.2).
fn redirect_back(issuer: &str, to: &Url, pairs: &[(&str, &str)]) -> Response {
    let mut to = to.clone();
    to.query_pairs_mut()
        .extend_pairs(pairs)
        .append_pair("iss", issuer);
    match HeaderValue::try_from(to.as_str()) {
        Ok(location) => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, location),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        Err(_) => page::error("the redirect_uri cannot be used in a redirect"),
    }
}

/// `GET /authorize`: check the request, show the login page.
#[tracing::instrument(skip_all)]
pub(super) async fn page(State(dev): State<Arc<Inner>>, RawQuery(query): RawQuery) -> Response {
    let params = match Params::parse(query.unwrap_or_default().as_bytes()) {
        Ok(params) => params,
        Err(why) => return page::error(why),
    };
    let request = match AuthRequest::parse(&params, &dev.endpoints.authorize.origin()) {
        Ok(request) => request,
        Err(refusal) => return refusal.respond(&dev.issuer),
    };
    if dev.fault() == Some(Fault::AccessDenied) {
        return request.deny(&dev.issuer);
    }
    // There is no provider session to log in silently with (OpenID Connect Core §3.1.2.6).
    if params
        .get("prompt")
        .is_some_and(|p| p.split(' ').any(|p| p == "none"))
    {
        return request.refuse(
            &dev.issuer,
            "login_required",
            "the development provider always asks",
        );
    }
    request.login_page(StatusCode::OK, None)
}

/// `POST /authorize`: the login form. Issues a code and sends the browser back to the client.
#[tracing::instrument(skip_all)]
pub(super) async fn submit(State(dev): State<Arc<Inner>>, body: Bytes) -> Response {
    let params = match Params::parse(&body) {
        Ok(params) => params,
        Err(why) => return page::error(why),
    };
    let request = match AuthRequest::parse(&params, &dev.endpoints.authorize.origin()) {
        Ok(request) => request,
        Err(refusal) => return refusal.respond(&dev.issuer),
    };
    if params.get("action") == Some("cancel") || dev.fault() == Some(Fault::AccessDenied) {
        return request.deny(&dev.issuer);
    }
    let Some(user) = params.get("login").and_then(User::from_login) else {
        return request.login_page(
            StatusCode::BAD_REQUEST,
            Some("Type a name or an email address (at most 254 characters)."),
        );
    };
    tracing::debug!(sub = %user.sub, "development provider login");
    let grant = Arc::new(Grant {
        id: random_token(),
        client_id: request.client_id.clone(),
        user,
        scope: request.scope.clone(),
        auth_time: unix_now(),
        acr: acr_of(request.acr_values.as_deref()),
        sid: random_token(),
    });
    lock(&dev.store).record_login(&grant.user.sub, &grant.sid);
    let code = random_token();
    let pending = PendingCode::new(
        grant,
        request.redirect_uri_raw.clone(),
        request.code_challenge.clone(),
        request.nonce.clone(),
    );
    lock(&dev.store).insert_code(code.clone(), pending);
    request.answer(&dev.issuer, &[("code", &code), ("state", &request.state)])
}

/// The authentication context classes the development provider "performs": a plain login
/// (`urn:dev:pwd`, the default) and, when asked for, a multi-factor one (`urn:dev:mfa`; nothing
/// more is asked of you). Real providers have their own names (`acr_values_supported`).
pub(super) const ACRS: [&str; 2] = ["urn:dev:pwd", "urn:dev:mfa"];

/// The ID token's `acr`: the first of `acr_values` the provider knows, else a plain login
/// (`acr_values` is a wish list, OpenID Connect Core §3.1.2.1).
fn acr_of(acr_values: Option<&str>) -> &'static str {
    acr_values
        .into_iter()
        .flat_map(|values| values.split(' '))
        .find_map(|asked| ACRS.into_iter().find(|known| *known == asked))
        .unwrap_or(ACRS[0])
}

/// Printable ASCII or spaces (a space-separated list).
fn is_vschar_or_space(value: &str) -> bool {
    value.bytes().all(|b| (0x20..=0x7e).contains(&b))
}
