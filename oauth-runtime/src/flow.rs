//! Pending logins and the callback: the part of the protocol that touches the session.
//!
//! A pending login (random `state`, PKCE verifier, OIDC nonce, the exact redirect URI, the user's
//! state payload and a safe return-to path) is kept in the user's session, keyed by `state`, a few
//! at most (several tabs may log in at once), for ten minutes. The callback takes it out (single
//! use), so a forged, replayed or stale `state` is refused.

use std::sync::Arc;

use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::audit::AuditEvent;
use crate::dpop::DpopKey;
use crate::hooks::{AuthContext, Decision, GetAuth};
use crate::schema::{AUTH_KEY, AUTHN_KEY, Stamp, qualified_ident};
use crate::state::{Core, Shared};
use crate::stepup::{Authn, Shortfall, StepUp};
use crate::{Client, Error, Tokens, UserInfo};

/// The session key of the pending logins.
pub(crate) const PENDING_KEY: &str = "oauth.pending";
/// How long before the callback a step-up login may have been authenticated beyond its
/// `max_age` (the user's time at the provider after authenticating), in seconds.
const STEP_UP_LEEWAY_SECS: i64 = 30;
/// Pending logins kept per session (tabs logging in at once).
const MAX_PENDING: usize = 5;
/// How long a login may take at the provider, in seconds; also how long a session nobody is
/// logged into lives once it holds a pending login (see [`pending_expiry`]).
const PENDING_TTL_SECS: i64 = 600;

/// Gives a session nobody is logged into the pending logins' lifetime: every anonymous `/login`
/// hit writes a session, and at the normal expiry (14 days by default) they would pile up in the
/// store. A logged-in session keeps its expiry; a login sets the normal one again ([`log_in`]).
pub(crate) async fn pending_expiry(session: &Session) -> Result<(), Error> {
    if session.get_value(AUTH_KEY).await?.is_none() {
        session.set_expiry(Some(tower_sessions::Expiry::OnInactivity(
            time::Duration::seconds(PENDING_TTL_SECS),
        )));
    }
    Ok(())
}

/// [`pending_expiry`] for a session that is stored, at a callback. A callback whose session is
/// gone (another tab's login cycled its id a moment ago) leaves it alone: giving it an expiry
/// would store a new, empty session and point the browser's cookie at it, logging that browser
/// out of the login the other tab just finished.
async fn keep_pending_expiry(session: &Session) -> Result<(), Error> {
    // Loads the record (`pending_expiry` reads it again from memory): a missing one clears the id.
    session.get_value(AUTH_KEY).await?;
    if session.id().is_none() {
        return Ok(());
    }
    pending_expiry(session).await
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Pending {
    state: String,
    /// The provider the login was started with: only its callback may finish it (mix-up defence).
    #[serde(default)]
    provider: String,
    verifier: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    redirect_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_state: Option<String>,
    created_at: i64,
    /// A step-up login: the `acr` values accepted and the maximum age (seconds) asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    step_up: Option<(Vec<String>, Option<u64>)>,
    /// The DPoP key (a private JWK) the authorization request bound the code to (`dpop_jkt`),
    /// for the code exchange to prove.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dpop_key: Option<String>,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Whether a pending login made at `created_at` may still finish at `now` (wall clock, Unix
/// seconds): within [`PENDING_TTL_SECS`] either way. A pending login from the future (the clock
/// was stepped back) would otherwise live the TTL plus the step.
fn pending_fresh(created_at: i64, now: i64) -> bool {
    now.saturating_sub(created_at).saturating_abs() < PENDING_TTL_SECS
}

/// 256 random bits, base64url: used for `state`, the PKCE verifier (43 characters, within RFC
/// 7636's 43..=128) and the nonce.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Starts a login: stores a pending login in the session and returns the provider's URL.
pub(crate) async fn start_login(
    client: &Client,
    session: &Session,
    redirect_uri: String,
    user_state: Option<String>,
    next: Option<String>,
    step_up: Option<(&StepUp, Shortfall)>,
) -> Result<String, Error> {
    let dpop = client.provider().dpop.then(DpopKey::generate);
    let pending = Pending {
        state: random_token(),
        provider: client.provider().name.to_owned(),
        verifier: random_token(),
        nonce: client.provider().oidc.is_some().then(random_token),
        redirect_uri,
        next: next.filter(|n| is_safe_next(n)),
        user_state,
        created_at: now(),
        step_up: step_up.map(|(wanted, _)| {
            (
                wanted.acr_values().to_vec(),
                wanted.max_age_limit().map(|age| age.as_secs()),
            )
        }),
        dpop_key: dpop.as_ref().map(DpopKey::to_stored),
    };
    let mut extra = step_up.map_or_else(Vec::new, |(wanted, shortfall)| {
        wanted.auth_params(shortfall)
    });
    // DPoP: the key pair is made with the pending login and the code bound to it (RFC 9449 §10):
    // a code stolen on its way back is useless without the key.
    if let Some(key) = &dpop {
        extra.push(("dpop_jkt".to_owned(), key.thumbprint()?));
    }
    let url = client
        .login_url(
            &pending.redirect_uri,
            &pending.state,
            &pending.verifier,
            pending.nonce.as_deref(),
            &extra,
        )
        .await?;
    let mut list: Vec<Pending> = session.get(PENDING_KEY).await?.unwrap_or_default();
    let now = now();
    list.retain(|p| pending_fresh(p.created_at, now));
    if list.len() >= MAX_PENDING {
        list.drain(..=list.len() - MAX_PENDING);
    }
    list.push(pending);
    session.insert(PENDING_KEY, list).await?;
    Ok(url.into())
}

/// Takes the pending login of `state` out of the session: each one is used at most once.
async fn take_pending(session: &Session, state: &str) -> Result<Pending, Error> {
    let mut list: Vec<Pending> = session.get(PENDING_KEY).await?.unwrap_or_default();
    let before = list.len();
    let now = now();
    let found = list
        .iter()
        .position(|p| constant_time_eq(p.state.as_bytes(), state.as_bytes()));
    let pending = found.map(|i| list.swap_remove(i));
    list.retain(|p| pending_fresh(p.created_at, now));
    // Written back only when it changed: a callback whose session is gone (another tab's login
    // cycled it) must not touch it, or the response would carry a cookie for it.
    if list.len() != before {
        if list.is_empty() {
            session.remove_value(PENDING_KEY).await?;
        } else {
            session.insert(PENDING_KEY, list).await?;
        }
    }
    match pending {
        Some(p) if pending_fresh(p.created_at, now) => Ok(p),
        _ => Err(Error::StateMismatch),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `path` with `next` as its `next=` parameter (after `?`, or `&` when `path` has a query), when
/// `next` is a safe target other than `/`; else `path` alone. The login page's return target, in
/// the guard's redirect, the callback's error redirect and the library's error page.
pub(crate) fn with_next<'a>(path: &'a str, next: Option<&str>) -> std::borrow::Cow<'a, str> {
    let Some(next) = next.filter(|n| *n != "/" && is_safe_next(n)) else {
        return path.into();
    };
    let mut with = String::with_capacity(path.len() + 6 + next.len() * 2);
    with.push_str(path);
    with.push(if path.contains('?') { '&' } else { '?' });
    with.push_str("next=");
    with.extend(url::form_urlencoded::byte_serialize(next.as_bytes()));
    with.into()
}

/// True for a same-origin relative path: `/x`, never `//host`, `/\host`, a scheme, control
/// characters, or any of those hidden behind percent-encoding.
///
/// ```
/// use axum_oauth_login::manual::is_safe_next;
/// assert!(is_safe_next("/dashboard?tab=2"));
/// assert!(!is_safe_next("//evil.example"));
/// assert!(!is_safe_next("/%2F/evil.example"));
/// assert!(!is_safe_next("https://evil.example"));
/// ```
#[must_use]
pub fn is_safe_next(next: &str) -> bool {
    fn plain_ok(s: &str) -> bool {
        s.starts_with('/')
            && !s.starts_with("//")
            && !s.contains('\\')
            && !s.chars().any(char::is_control)
    }
    if next.len() > 2048 || !plain_ok(next) {
        return false;
    }
    // Browsers decode before they resolve in some places: judge the decoded form too.
    let decoded = percent_decode(next);
    plain_ok(&decoded) && !decoded.contains("/\\")
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The query of the callback (`?code=..&state=..` or `?error=..&state=..`).
#[derive(Debug, Default)]
pub(crate) struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    iss: Option<String>,
    /// Sign in with Apple's `user` (the name, sent on the first login only, unsigned).
    user: Option<String>,
}

impl CallbackParams {
    /// Parses the query leniently; the first of repeated parameters wins.
    pub(crate) fn parse(query: &str) -> Self {
        let mut params = Self::default();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match &*key {
                "code" => &mut params.code,
                "state" => &mut params.state,
                "error" => &mut params.error,
                "iss" => &mut params.iss,
                "user" => &mut params.user,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value.into_owned());
            }
        }
        params
    }

    /// The parameters present, by name (for the `form_post` relay page).
    pub(crate) fn fields(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("code", &self.code),
            ("state", &self.state),
            ("error", &self.error),
            ("iss", &self.iss),
            ("user", &self.user),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value.as_deref()?)))
    }
}

/// The callback route of `client`: checks `state`, exchanges the code, asks `get_auth`, logs the
/// user in.
pub(crate) async fn callback<A: GetAuth>(
    shared: Arc<Shared<A>>,
    client: &Client,
    session: Session,
    params: CallbackParams,
) -> Response {
    let core = &shared.core;
    // A failed callback may still write the pending logins it leaves: they keep their lifetime.
    if let Err(error) = keep_pending_expiry(&session).await {
        return error.into_response();
    }
    // The page the login was for, once the pending login is found: a failed login's error page
    // offers to try again for that same page.
    let mut next = None;
    match finish_login(&shared, client, &session, params, &mut next).await {
        Ok(Some(response)) => response,
        Ok(None) => Redirect::to(core.config.login).into_response(),
        Err(error) => {
            core.audit.record(AuditEvent::LoginFailed {
                provider: client.provider().name.to_owned(),
                code: error.code(),
            });
            if matches!(error, Error::SessionStore) {
                return error.into_response();
            }
            let location = format!("{}?code={}", core.config.error, error.code());
            Redirect::to(&with_next(&location, next.as_deref())).into_response()
        }
    }
}

async fn finish_login<A: GetAuth>(
    shared: &Shared<A>,
    client: &Client,
    session: &Session,
    params: CallbackParams,
    next: &mut Option<String>,
) -> Result<Option<Response>, Error> {
    let core = &shared.core;
    let retrieved = retrieve(client, session, &params, next).await?;
    let Retrieved {
        info,
        tokens,
        state,
        authn,
    } = retrieved;
    let cx = AuthContext {
        // Qualified: the same id at two providers is two users.
        ident: qualified_ident(client.provider().name, &info.ident),
        info,
        session: session.clone(),
        state,
    };
    let provider = client.provider().name.to_owned();
    let Decision::Allow(mut response) = shared.auth.get_auth(&cx).await else {
        core.audit.record(AuditEvent::LoginDenied {
            provider,
            ident: cx.ident,
        });
        return Ok(None);
    };
    log_in(core, session, &provider, &cx.ident, tokens, authn.as_ref()).await?;
    if let Some(next) = next.take()
        && response.status().is_redirection()
        && let Ok(value) = http::HeaderValue::from_str(&next)
    {
        response.headers_mut().insert(http::header::LOCATION, value);
    }
    core.audit.record(AuditEvent::LoginSucceeded {
        provider,
        ident: cx.ident,
    });
    Ok(Some(response))
}

/// What a finished login gives: FastHTML's `retr_info` result, plus the tokens and the state
/// payload given to the login link.
///
/// ```
/// use axum_oauth_login::{Client, Error, Session};
/// use axum::extract::RawQuery;
/// use axum::{Extension, response::Redirect};
/// async fn callback(Extension(client): Extension<Client>, session: Session, RawQuery(q): RawQuery) -> Result<Redirect, Error> {
///     let retrieved = client.retr_info(&session, q.as_deref().unwrap_or("")).await?;
///     session.insert("user", &retrieved.info.ident).await?;
///     Ok(Redirect::to(if retrieved.state.is_some() { "/resume" } else { "/" }))
/// }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Retrieved {
    /// What the provider says about the user.
    pub info: UserInfo,
    /// The user's tokens: keep them in the user's session, nowhere shared.
    pub tokens: Tokens,
    /// The state payload given to the login link, if any.
    pub state: Option<String>,
    /// How the user logged in (the ID token's `acr` and `auth_time`), for step-up.
    pub(crate) authn: Option<Authn>,
}

/// The protocol half of the callback: the pending login of `state` (single use), the provider's
/// error, `iss`, then the code exchange with the verifier and the exact redirect URI.
/// `next` receives the pending login's return target as soon as it is found, whatever follows.
async fn retrieve(
    client: &Client,
    session: &Session,
    params: &CallbackParams,
    next: &mut Option<String>,
) -> Result<Retrieved, Error> {
    let state = params.state.as_deref().ok_or(Error::StateMismatch)?;
    // The pending login is consumed first, whatever the provider answered: a second use of the
    // same state is always refused.
    let pending = take_pending(session, state).await?;
    next.clone_from(&pending.next);
    if pending.provider != client.provider().name {
        tracing::warn!(
            started_with = pending.provider,
            callback_of = client.provider().name,
            "a login came back to another provider's callback"
        );
        return Err(Error::StateMismatch);
    }
    if let Some(error) = params.error.as_deref() {
        return Err(Error::Provider(crate::error::ProviderErrorCode::parse(
            error,
        )));
    }
    if let Some(oidc) = &client.provider().oidc {
        match params.iss.as_deref() {
            Some(iss) if iss != oidc.issuer => return Err(Error::IssuerMismatch),
            None if client.provider().iss_parameter => return Err(Error::IssuerMismatch),
            _ => {}
        }
    }
    let code = params
        .code
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or(Error::MissingCode)?;
    let (mut info, tokens) = client
        .exchange_code(
            code,
            &pending.redirect_uri,
            &pending.verifier,
            pending.nonce.as_deref(),
            pending.dpop_key.as_deref(),
        )
        .await?;
    if let Some(user) = &params.user {
        client.read_callback_user(&mut info, user);
    }
    // How the user logged in, from the ID token (verified by the exchange).
    let now = now();
    let authn = tokens
        .id_token()
        .and_then(crate::jwks::unverified_claims)
        .map(|claims| Authn::from_claims(&claims, now));
    if let Some((acr, max_age)) = pending.step_up {
        let mut wanted = StepUp::acr(acr);
        if let Some(age) = max_age {
            wanted = wanted.max_age(std::time::Duration::from_secs(age));
        }
        // A little leeway for the time the user spent at the provider after authenticating.
        if wanted
            .shortfall(authn.as_ref(), now.saturating_sub(STEP_UP_LEEWAY_SECS))
            .is_some()
        {
            return Err(Error::InsufficientAuthentication);
        }
    }
    let retrieved = Retrieved {
        info,
        tokens,
        state: pending.user_state,
        authn,
    };
    Ok(retrieved)
}

/// FastHTML's from-scratch API, on [`Client`]: for apps that write their own callback route and
/// guard instead of using `#[oauth]` (see `examples/from_scratch.rs`). PKCE and `state` checks
/// stay on: the pending login lives in the user's session.
impl Client {
    /// FastHTML's `client.login_link(redirect_uri, state)`: stores a pending login in `session`
    /// and returns the provider's authorization URL. `state` is your own payload; the provider
    /// only sees a random value.
    ///
    /// # Errors
    /// [`Error::SessionStore`] when the session cannot be written.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use axum_oauth_login::{GitHubAppClient, Session};
    /// use std::sync::Arc;
    /// let client = GitHubAppClient::new("id", "secret");
    /// let session = Session::new(None, Arc::new(tower_sessions::MemoryStore::default()), None);
    /// let link = client.login_link(&session, "http://localhost:8000/auth_redirect", None).await.unwrap();
    /// assert!(link.starts_with("https://github.com/login/oauth/authorize?"));
    /// assert!(link.contains("code_challenge_method=S256"));
    /// # }
    /// ```
    pub async fn login_link(
        &self,
        session: &Session,
        redirect_uri: &str,
        state: Option<&str>,
    ) -> Result<String, Error> {
        start_login(
            self,
            session,
            redirect_uri.to_owned(),
            state.map(str::to_owned),
            None,
            None,
        )
        .await
    }

    /// FastHTML's `client.retr_info(code, redirect_uri)`: finishes the login whose callback query
    /// string is `query` (`code=..&state=..`), checking `state` against the session.
    ///
    /// # Errors
    /// [`Error::StateMismatch`] for an unknown, used or expired state; the provider's error;
    /// the code exchange's errors.
    ///
    /// ```
    /// use axum_oauth_login::{Client, Error, Session};
    /// use axum::extract::RawQuery;
    /// use axum::{Extension, response::Redirect};
    /// async fn callback(Extension(client): Extension<Client>, session: Session, RawQuery(q): RawQuery) -> Result<Redirect, Error> {
    ///     let info = client.retr_info(&session, q.as_deref().unwrap_or("")).await?.info;
    ///     session.cycle_id().await?; // a new session id at login
    ///     session.insert("user_id", &info.ident).await?;
    ///     Ok(Redirect::to("/"))
    /// }
    /// ```
    pub async fn retr_info(&self, session: &Session, query: &str) -> Result<Retrieved, Error> {
        retrieve(self, session, &CallbackParams::parse(query), &mut None).await
    }

    /// FastHTML's `client.retr_id(code, redirect_uri)`: the user's ident only, as the provider
    /// gives it (`12345`). An app with several providers keys its data by
    /// `{provider}:{ident}`, as `#[oauth]` apps do (see [`Ident`](crate::Ident)).
    ///
    /// # Errors
    /// As [`retr_info`](Self::retr_info).
    ///
    /// ```
    /// use axum_oauth_login::{Client, Error, Session};
    /// use axum::extract::RawQuery;
    /// use axum::{Extension, response::Redirect};
    /// async fn callback(Extension(client): Extension<Client>, session: Session, RawQuery(q): RawQuery) -> Result<Redirect, Error> {
    ///     let ident = client.retr_id(&session, q.as_deref().unwrap_or("")).await?;
    ///     session.insert("user_id", ident).await?;
    ///     Ok(Redirect::to("/"))
    /// }
    /// ```
    pub async fn retr_id(&self, session: &Session, query: &str) -> Result<String, Error> {
        Ok(self.retr_info(session, query).await?.info.ident)
    }
}

/// Stores the identity (and the tokens, unless turned off) under a fresh session id.
async fn log_in(
    core: &Core,
    session: &Session,
    provider: &str,
    ident: &str,
    tokens: Tokens,
    authn: Option<&Authn>,
) -> Result<(), Error> {
    // A new id at the moment of login defeats session fixation.
    session.cycle_id().await?;
    // The normal lifetime starts here (an anonymous session had the pending logins' one).
    session.set_expiry(Some(core.expiry));
    // Whoever was logged in on this session before leaves no tokens behind.
    crate::vault::delete(core, session).await?;
    session.insert(AUTH_KEY, ident).await?;
    if let Some(authn) = authn {
        session.insert(AUTHN_KEY, authn.encode()).await?;
    }
    let handle = if core.keep_tokens {
        Some(crate::vault::put(core, provider, &tokens).await?)
    } else {
        None
    };
    let stamp = Stamp {
        seen: now(),
        tokens: handle,
    };
    crate::vault::set_stamp(session, &stamp).await?;
    crate::backchannel::index_login(core, session, &tokens).await
}

/// The session key of a logout at the provider under way (RP-initiated logout): its `state`
/// and who logged out.
const LOGOUT_PENDING_KEY: &str = "oauth.logout";

/// A logout at the provider under way, kept in the (new, anonymous) session until the provider
/// sends the browser back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PendingLogout {
    state: String,
    /// The ident of the user who logged out, for the `#[logout]` hook.
    pub(crate) auth: Option<String>,
    made: i64,
}

/// Records a logout at the provider in `session` (already ended: this starts an anonymous one
/// with the pending logins' lifetime) and returns the `state` to send to the provider.
pub(crate) async fn start_provider_logout(
    session: &Session,
    auth: Option<String>,
) -> Result<String, Error> {
    let state = random_token();
    let pending = PendingLogout {
        state: state.clone(),
        auth,
        made: now(),
    };
    pending_expiry(session).await?;
    session.insert(LOGOUT_PENDING_KEY, pending).await?;
    Ok(state)
}

/// The return from the provider's logout: takes the pending logout out of `session`. `None`
/// when there is none; `Err(LogoutStateMismatch)` when `state` is missing, another one, or the
/// logout is older than a pending login may be.
pub(crate) async fn finish_provider_logout(
    session: &Session,
    state: Option<&str>,
) -> Result<Option<PendingLogout>, Error> {
    let Some(pending) = session
        .remove::<PendingLogout>(LOGOUT_PENDING_KEY)
        .await
        .unwrap_or(None)
    else {
        return Ok(None);
    };
    let matches = state.is_some_and(|state| {
        use subtle::ConstantTimeEq as _;
        bool::from(state.as_bytes().ct_eq(pending.state.as_bytes()))
    });
    if matches && pending_fresh(pending.made, now()) {
        Ok(Some(pending))
    } else {
        Err(Error::LogoutStateMismatch)
    }
}

/// Ends the session: the token record, then the session record (so that a copied cookie stops
/// working too).
pub(crate) async fn end_session(core: &Core, session: &Session) -> Result<(), Error> {
    crate::backchannel::forget(core, session).await;
    crate::vault::delete(core, session).await?;
    session.flush().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_login_lives_ten_minutes_whichever_way_the_clock_steps() {
        let made = 1_700_000_000;
        assert!(pending_fresh(made, made));
        assert!(pending_fresh(made, made + PENDING_TTL_SECS - 1));
        assert!(!pending_fresh(made, made + PENDING_TTL_SECS));
        // The clock stepped back after the login started.
        assert!(pending_fresh(made, made - 30));
        assert!(!pending_fresh(made, made - 3_600));
        assert!(!pending_fresh(i64::MAX, i64::MIN), "no overflow");
    }

    #[test]
    fn next_accepts_relative_paths_only() {
        for good in ["/", "/a/b?c=d#e", "/%7Euser"] {
            assert!(is_safe_next(good), "{good}");
        }
        for bad in [
            "",
            "a",
            "//evil",
            "/\\evil",
            "\\\\evil",
            "https://evil",
            "/%2F%2Fevil",
            "%2F%2Fevil",
            "/%5Cevil",
            "/%2f/evil",
            "/\tevil",
            "/%0d%0aSet-Cookie:x",
            "javascript:alert(1)",
        ] {
            assert!(!is_safe_next(bad), "{bad}");
        }
    }

    #[test]
    fn random_tokens_are_long_and_distinct() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }
}
