//! The session layer, run by the guard: which session a request belongs to (its cookie), and,
//! after the response, saving the session and setting or removing the cookie.
//!
//! It does what tower-sessions' `SessionManagerLayer` does, with tower-sessions' own [`Session`]
//! and stores, and the `cookie` crate's encryption and `Set-Cookie` formatting. Handlers extract
//! the same [`Session`]. What it leaves out is the cost around them, on every request of every
//! user: a cookie jar behind its own `Arc<Mutex>` with a copy of every cookie of the request, two
//! more boxed futures, a tracing span and a clone of the layer's settings. The request's `Cookie`
//! header is searched for the one cookie, without copying it.
//!
//! The cookie's settings come from [`SessionCookie`] (tower-sessions' `SessionManagerLayer`
//! would take the same ones: name, domain, path, `SameSite`, `Secure`).

use std::borrow::Cow;
use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use http::HeaderMap;
use http::header::{COOKIE, SET_COOKIE};
use tower_sessions::cookie::{Cookie, CookieJar, Key, SameSite};
use tower_sessions::session::Id;
use tower_sessions::{Expiry, Session, SessionStore};

use crate::Error;

/// The session cookie's settings: name, domain, path, `SameSite` and `Secure`, for
/// [`OAuthBuilder::session_cookie`](crate::OAuthBuilder::session_cookie).
///
/// The defaults are the safe ones: name `oauth_session`, no domain (the cookie goes back to the
/// host that set it only), path `/`, `SameSite=Lax`, `Secure` when the public URL is https, always
/// `HttpOnly`. On an https public URL the name gets a prefix that browsers enforce:
/// `__Host-oauth_session` (no domain, path `/`), or `__Secure-` when a domain or another path is
/// set. A `__Host-` cookie cannot be set by a sibling subdomain (`evil.example.com` for
/// `app.example.com`), so no one else can plant a session cookie of that name.
///
/// ```
/// use axum_oauth_login::{SameSite, SessionCookie};
/// // `__Secure-shop_session` on https, sent to every subdomain of example.com.
/// let cookie = SessionCookie::new()
///     .name("shop_session")
///     .domain("example.com")
///     .same_site(SameSite::Lax);
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct SessionCookie {
    name: Cow<'static, str>,
    domain: Option<Cow<'static, str>>,
    path: Cow<'static, str>,
    same_site: SameSite,
    /// `None`: from the public URL.
    secure: Option<bool>,
}

impl Default for SessionCookie {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionCookie {
    /// The defaults: `oauth_session` (`__Host-oauth_session` on https), no domain, path `/`,
    /// `SameSite=Lax`, `Secure` when the public URL is https.
    ///
    /// ```
    /// let cookie = axum_oauth_login::SessionCookie::new();
    /// ```
    pub fn new() -> Self {
        Self {
            name: Cow::Borrowed("oauth_session"),
            domain: None,
            path: Cow::Borrowed("/"),
            same_site: SameSite::Lax,
            secure: None,
        }
    }

    /// The cookie's name, without a prefix (default `oauth_session`); give each app on one domain
    /// its own. The `__Host-` or `__Secure-` prefix is added on an https public URL.
    ///
    /// ```
    /// let cookie = axum_oauth_login::SessionCookie::new().name("shop_session");
    /// ```
    pub fn name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.name = name.into();
        self
    }

    /// The cookie's `Domain`: the cookie is then sent to every subdomain of `domain` too (by
    /// default it goes back to the host that set it, and nowhere else). Its prefix becomes
    /// `__Secure-`.
    ///
    /// # Warning
    /// Every subdomain then receives the session cookie, and any of them can set a cookie of the
    /// same name: set it only when the subdomains are as trusted as the app.
    ///
    /// ```
    /// let cookie = axum_oauth_login::SessionCookie::new().domain("example.com");
    /// ```
    pub fn domain(mut self, domain: impl Into<Cow<'static, str>>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// The cookie's `Path` (default `/`). The guard covers the whole router whatever the path:
    /// requests outside it carry no session cookie and count as anonymous. Another path than `/`
    /// makes the prefix `__Secure-`.
    ///
    /// ```
    /// let cookie = axum_oauth_login::SessionCookie::new().path("/app");
    /// ```
    pub fn path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.path = path.into();
        self
    }

    /// The cookie's `SameSite` (default `Lax`, which the provider's redirect back needs).
    /// `None` needs [`secure(true)`](Self::secure): browsers drop a `SameSite=None` cookie
    /// without `Secure`.
    ///
    /// # Warning
    /// `Strict` keeps the cookie off the provider's redirect back to the callback whenever the
    /// provider is on another site: every such login then fails with `state_mismatch`.
    ///
    /// ```
    /// use axum_oauth_login::{SameSite, SessionCookie};
    /// let cookie = SessionCookie::new().same_site(SameSite::None).secure(true);
    /// ```
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// Whether the cookie is `Secure` (default: when the public URL is https).
    ///
    /// # Warning
    /// Browsers drop a `Secure` cookie set over plain http (except on `localhost`), and send a
    /// cookie without it over plain http, where anyone on the path can read it.
    ///
    /// ```
    /// let cookie = axum_oauth_login::SessionCookie::new().secure(true);
    /// ```
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = Some(secure);
        self
    }

    /// The settings' own errors, found when they are given to the builder.
    pub(crate) fn check(&self) -> Result<(), Error> {
        let bad = |what: &str| Err(Error::Config(format!("session cookie: {what}")));
        let is_token = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
        };
        if !is_token(&self.name) {
            return bad("the name must be a non-empty token (letters, digits, `-`, `_`, `.`, ...)");
        }
        let lower = self.name.to_ascii_lowercase();
        if lower.starts_with("__host-") || lower.starts_with("__secure-") {
            return bad(
                "give the name without the `__Host-`/`__Secure-` prefix: it is added on an https public URL",
            );
        }
        let plain = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_graphic() && b != b';' && b != b',')
        };
        if let Some(domain) = &self.domain
            && (domain.trim_start_matches('.').is_empty() || !plain(domain))
        {
            return bad("the domain must be a host name such as `example.com`");
        }
        if !self.path.starts_with('/') || !plain(&self.path) {
            return bad("the path must start with `/` and have no `;`, `,` or spaces");
        }
        if self.same_site == SameSite::None && self.secure != Some(true) {
            return bad("`SameSite::None` needs `.secure(true)`: browsers drop it otherwise");
        }
        Ok(())
    }

    /// The cookie as set for a site whose public URL is https (`https`) or not.
    pub(crate) fn resolve(self, https: bool) -> Resolved {
        let secure = self.secure.unwrap_or(https);
        let name = if !(https && secure) {
            self.name
        } else if self.domain.is_none() && self.path == "/" {
            Cow::Owned(format!("__Host-{}", self.name))
        } else {
            Cow::Owned(format!("__Secure-{}", self.name))
        };
        Resolved {
            name,
            domain: self.domain,
            path: self.path,
            same_site: self.same_site,
            secure,
        }
    }
}

/// A [`SessionCookie`] with its final name and `Secure`.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub(crate) name: Cow<'static, str>,
    pub(crate) domain: Option<Cow<'static, str>>,
    pub(crate) path: Cow<'static, str>,
    pub(crate) same_site: SameSite,
    pub(crate) secure: bool,
}

/// Opens each request's session with the installation's store and cookie settings.
pub(crate) struct Sessions {
    /// The cookie's name and attributes.
    cookie: Resolved,
    /// Encrypts and authenticates the cookie's value, when set.
    key: Option<Key>,
    /// The store, typed: [`Session::new`] wants a sized store.
    open: Box<dyn Fn(Option<Id>) -> Session + Send + Sync>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("cookie", &self.cookie)
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// A request's session, and whether the request came with a session cookie.
pub(crate) struct Opened {
    pub(crate) session: Session,
    had_cookie: bool,
}

impl Sessions {
    /// Sessions in `store`, with an `HttpOnly` cookie set as `cookie` says.
    pub(crate) fn new<S: SessionStore>(
        store: Arc<S>,
        cookie: Resolved,
        key: Option<Key>,
        expiry: Expiry,
    ) -> Self {
        Self {
            cookie,
            key,
            open: Box::new(move |id| Session::new(id, store.clone(), Some(expiry))),
        }
    }

    /// The value of the request's session cookie, as sent (allocates nothing): the guard looks
    /// at it once, to answer anonymous requests without a session and to [`open`](Self::open)
    /// the others. `None` when there is none, or several that differ (see [`cookie_value`]).
    pub(crate) fn cookie<'a>(&self, headers: &'a HeaderMap) -> Option<&'a str> {
        cookie_value(headers, &self.cookie.name)
    }

    /// The session of a request whose session cookie has `value`. Nothing is loaded yet: the
    /// first read loads it from the store. A keyed value that does not decrypt counts as no
    /// cookie.
    pub(crate) fn open(&self, value: Option<&str>) -> Opened {
        let value = match (&self.key, value) {
            (_, None) => None,
            (None, Some(value)) => Some(Cow::Borrowed(value)),
            (Some(key), Some(value)) => CookieJar::new()
                .private(key)
                .decrypt(Cookie::new(self.cookie.name.clone(), value.to_owned()))
                .map(|cookie| Cow::Owned(cookie.value().to_owned())),
        };
        let id = value.as_deref().and_then(|value| {
            value
                .parse::<Id>()
                .inspect_err(|_| tracing::warn!("malformed session id in the session cookie"))
                .ok()
        });
        Opened {
            session: (self.open)(id),
            had_cookie: value.is_some(),
        }
    }

    /// After the response: saves a changed session and sets its cookie, or removes the cookie of
    /// a session this request emptied (a logout). A cookie whose session was already gone is left
    /// alone: the browser may hold a newer one by the time this response arrives (another tab
    /// just logged in), and a removal would log it out. A session that cannot be saved answers
    /// 503 (fail closed), as no cookie can be given for it.
    pub(crate) async fn close(&self, opened: Opened, mut response: Response) -> Response {
        let Opened {
            session,
            had_cookie,
        } = opened;
        let modified = session.is_modified();
        let empty = session.is_empty().await;
        let cookie = if had_cookie && empty && modified {
            Some(self.removal())
        } else if modified && !empty && !response.status().is_server_error() {
            // Rare (a login, a logout, a slide): boxed, so that the future of every request does
            // not carry a store write.
            match Box::pin(self.save(&session)).await {
                Ok(cookie) => Some(cookie),
                Err(error) => return error.into_response(),
            }
        } else {
            None
        };
        if let Some(cookie) = cookie {
            match http::HeaderValue::try_from(cookie.to_string()) {
                Ok(value) => {
                    response.headers_mut().append(SET_COOKIE, value);
                }
                Err(_) => tracing::error!("the session cookie is not a valid header value"),
            }
        }
        response
    }

    /// Saves the session and returns its cookie.
    async fn save(&self, session: &Session) -> Result<Cookie<'static>, Error> {
        if session.save().await.is_err() {
            tracing::error!("the session could not be saved");
            return Err(Error::SessionStore);
        }
        let id = session.id().ok_or(Error::SessionStore)?;
        let mut cookie = self.cookie_builder(id.to_string());
        cookie = match session.expiry() {
            Some(Expiry::OnInactivity(window)) => cookie.max_age(window),
            Some(Expiry::AtDateTime(at)) => cookie.max_age(at - time::OffsetDateTime::now_utc()),
            Some(Expiry::OnSessionEnd) | None => cookie,
        };
        let cookie = cookie.build();
        Ok(match &self.key {
            None => cookie,
            Some(key) => {
                let mut jar = CookieJar::new();
                jar.private_mut(key).add(cookie);
                jar.get(&self.cookie.name)
                    .cloned()
                    .ok_or(Error::SessionStore)?
            }
        })
    }

    /// The cookie that makes the browser forget the session cookie.
    fn removal(&self) -> Cookie<'static> {
        self.cookie_builder(String::new()).removal().build()
    }

    fn cookie_builder(&self, value: String) -> tower_sessions::cookie::CookieBuilder<'static> {
        let c = &self.cookie;
        let builder = Cookie::build((c.name.clone(), value))
            .http_only(true)
            .same_site(c.same_site)
            .secure(c.secure)
            .path(c.path.clone());
        match &c.domain {
            Some(domain) => builder.domain(domain.clone()),
            None => builder,
        }
    }
}

/// The value of the non-empty cookie named `name` in the request's `Cookie` headers, without
/// allocating. Several cookies of that name with different values (one set for the host, one for
/// the parent domain by a sibling subdomain, one for a narrower path) give `None`: which one is
/// the app's cannot be told, and picking the first or the last would let a planted cookie choose
/// the session. The request is then anonymous.
///
/// The header is read as bytes: another cookie's value may be anything a browser stores (UTF-8,
/// even bytes that are not), and must not hide the session cookie. Session ids and encrypted
/// values are base64, so the value is taken as it is: a percent-encoded, quoted or non-UTF-8
/// value is no session id of this library's.
fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let mut values = headers
        .get_all(COOKIE)
        .iter()
        .flat_map(|header| header.as_bytes().split(|&b| b == b';'))
        .filter_map(|pair| {
            let at = pair.iter().position(|&b| b == b'=')?;
            let value = pair[at + 1..].trim_ascii();
            (pair[..at].trim_ascii() == name.as_bytes() && !value.is_empty()).then_some(value)
        });
    let first = values.next()?;
    if values.any(|other| other != first) {
        return None;
    }
    std::str::from_utf8(first).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_sessions::MemoryStore;

    fn sessions(key: Option<Key>) -> Sessions {
        Sessions::new(
            Arc::new(MemoryStore::default()),
            Resolved {
                name: Cow::Borrowed("sid"),
                domain: None,
                path: Cow::Borrowed("/"),
                same_site: SameSite::Lax,
                secure: true,
            },
            key,
            Expiry::OnInactivity(time::Duration::hours(1)),
        )
    }

    fn headers(cookies: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for c in cookies {
            map.append(COOKIE, c.parse().unwrap());
        }
        map
    }

    fn set_cookies(response: &Response) -> Vec<String> {
        response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// A new session holding `auth`, saved: the one cookie its response sets.
    async fn saved(s: &Sessions, auth: &str) -> Cookie<'static> {
        let opened = s.open(None);
        opened.session.insert("auth", auth).await.unwrap();
        let cookies = set_cookies(&s.close(opened, "ok".into_response()).await);
        assert_eq!(cookies.len(), 1, "{cookies:?}");
        Cookie::parse(cookies[0].clone()).unwrap()
    }

    #[test]
    fn the_one_cookie_of_the_name_is_the_session_cookie_and_two_are_none() {
        let s = sessions(None);
        let value = |cookies: &[&str]| cookie_value(&headers(cookies), "sid").map(str::to_owned);
        assert_eq!(value(&["sid=abc"]).as_deref(), Some("abc"));
        assert_eq!(value(&["a=1; sid=abc; b=2"]).as_deref(), Some("abc"));
        assert_eq!(value(&["a=x;sid=abc"]).as_deref(), Some("abc"));
        assert_eq!(value(&["  sid = v "]).as_deref(), Some("v"));
        // Two that differ, in one header or several: neither (a sibling domain's planted cookie
        // must not choose the session); the same one twice is that one.
        assert_eq!(value(&["sid=1; sid=2"]).as_deref(), None);
        assert_eq!(value(&["sid=1", "sid=2"]).as_deref(), None);
        assert_eq!(value(&["sid=1; a=2; sid=1"]).as_deref(), Some("1"));
        // An empty value does not hide a good one, nor stand for one.
        assert_eq!(value(&["sid=v; sid="]).as_deref(), Some("v"));
        assert_eq!(value(&["sid=; sid=v"]).as_deref(), Some("v"));
        assert_eq!(value(&["sid=", "sid= ; b=1"]).as_deref(), None);
        // Another cookie's value, whatever its bytes, does not hide it.
        let mut odd = HeaderMap::new();
        let bytes = b"pref=\xc3\xa9t\xe9; sid=abc; x=\xff";
        odd.append(COOKIE, http::HeaderValue::from_bytes(bytes).unwrap());
        assert_eq!(cookie_value(&odd, "sid"), Some("abc"));
        for other in ["sid2=a", "xsid=a", "a=sid=b", "b=sid; c=1", ""] {
            assert_eq!(value(&[other]).as_deref(), None, "{other}");
        }
        let id = Id::default().to_string();
        let opened = |cookies: &[&str]| s.open(s.cookie(&headers(cookies)));
        let found = opened(&[&format!("a=1; sid={id}; b=2")]);
        assert_eq!(found.session.id(), id.parse().ok());
        assert!(found.had_cookie);
        let twice = opened(&["sid=old", &format!("a=1; sid={id}; b=2")]);
        assert!(twice.session.id().is_none() && !twice.had_cookie);
        let malformed = opened(&["sid=not-an-id"]);
        assert!(malformed.session.id().is_none() && malformed.had_cookie);
        let none = opened(&["a=1", "sidx=1", "xsid=2"]);
        assert!(none.session.id().is_none() && !none.had_cookie);
    }

    #[tokio::test]
    async fn a_new_session_is_saved_with_its_cookie_and_found_again() {
        let s = sessions(None);
        let cookie = saved(&s, "ada").await;
        assert_eq!(cookie.name(), "sid");
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.secure(), Some(true));
        assert_eq!(cookie.same_site(), Some(SameSite::Lax));
        assert_eq!(cookie.path(), Some("/"));
        assert_eq!(cookie.max_age(), Some(time::Duration::hours(1)));

        let again = s.open(s.cookie(&headers(&[&format!("sid={}", cookie.value())])));
        let auth: Option<String> = again.session.get("auth").await.unwrap();
        assert_eq!(auth.as_deref(), Some("ada"));
        // Read only: no cookie is set.
        assert!(set_cookies(&s.close(again, "ok".into_response()).await).is_empty());
    }

    #[tokio::test]
    async fn a_keyed_cookie_is_encrypted_and_a_forged_one_is_no_cookie() {
        let key = Key::generate();
        let s = sessions(Some(key.clone()));
        let cookie = saved(&s, "ada").await;
        let sid = format!("sid={}", cookie.value());

        let found = s.open(s.cookie(&headers(&[&sid])));
        assert!(found.session.id().is_some());
        assert_ne!(
            found.session.id().map(|id| id.to_string()).as_deref(),
            Some(cookie.value()),
            "the id is not readable from the cookie"
        );
        let auth: Option<String> = found.session.get("auth").await.unwrap();
        assert_eq!(auth.as_deref(), Some("ada"));

        // The plain id, or the cookie under another key, is no session cookie at all.
        let id = found.session.id().unwrap().to_string();
        let plain = headers(&[&format!("sid={id}")]);
        assert!(!s.open(s.cookie(&plain)).had_cookie);
        let other = sessions(Some(Key::generate()));
        assert!(!other.open(other.cookie(&headers(&[&sid]))).had_cookie);
    }

    #[tokio::test]
    async fn a_flushed_session_removes_its_cookie_and_a_server_error_saves_nothing() {
        let s = sessions(None);
        let sid = format!("sid={}", saved(&s, "ada").await.value());

        let opened = s.open(s.cookie(&headers(&[&sid])));
        opened.session.flush().await.unwrap();
        let cookies = set_cookies(&s.close(opened, "bye".into_response()).await);
        let removal = Cookie::parse(cookies[0].clone()).unwrap();
        assert_eq!((removal.name(), removal.value()), ("sid", ""));
        assert_eq!(removal.max_age(), Some(time::Duration::ZERO));
        let opened = s.open(s.cookie(&headers(&[&sid])));
        assert_eq!(opened.session.get::<String>("auth").await.unwrap(), None);

        let opened = s.open(None);
        opened.session.insert("auth", "eve").await.unwrap();
        let failed = http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
        assert!(set_cookies(&s.close(opened, failed).await).is_empty());
    }

    #[tokio::test]
    async fn a_cookie_whose_session_is_gone_is_left_alone() {
        let s = sessions(None);
        let sid = format!("sid={}", saved(&s, "ada").await.value());
        let opened = s.open(s.cookie(&headers(&[&sid])));
        opened.session.flush().await.unwrap();
        s.close(opened, "bye".into_response()).await;

        // Read only, the session gone: no removal (a newer cookie may be on its way).
        let stale = s.open(s.cookie(&headers(&[&sid])));
        assert_eq!(stale.session.get::<String>("auth").await.unwrap(), None);
        assert!(set_cookies(&s.close(stale, "ok".into_response()).await).is_empty());
    }
}

#[cfg(test)]
mod cookie_tests {
    use super::*;

    fn error(cookie: SessionCookie) -> String {
        match cookie.check() {
            Err(Error::Config(message)) => message,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_prefix_follows_the_scheme_the_domain_and_the_path() {
        let name = |cookie: SessionCookie, https| cookie.resolve(https).name.into_owned();
        assert_eq!(name(SessionCookie::new(), true), "__Host-oauth_session");
        assert_eq!(name(SessionCookie::new(), false), "oauth_session");
        assert_eq!(name(SessionCookie::new().name("a"), true), "__Host-a");
        assert_eq!(
            name(SessionCookie::new().domain("example.com"), true),
            "__Secure-oauth_session"
        );
        assert_eq!(
            name(SessionCookie::new().path("/app"), true),
            "__Secure-oauth_session"
        );
        // Not `Secure`, no prefix: browsers refuse a prefixed cookie without it.
        assert_eq!(
            name(SessionCookie::new().secure(false), true),
            "oauth_session"
        );
        assert!(SessionCookie::new().resolve(true).secure);
        assert!(!SessionCookie::new().resolve(false).secure);
    }

    #[test]
    fn bad_settings_are_errors() {
        assert!(SessionCookie::new().check().is_ok());
        let none = SessionCookie::new().same_site(SameSite::None);
        assert!(error(none.clone()).contains("SameSite::None"));
        assert!(error(none.clone().secure(false)).contains("SameSite::None"));
        assert!(none.secure(true).check().is_ok());
        for name in ["", "a b", "a;b", "a=b", "\u{e9}"] {
            assert!(
                error(SessionCookie::new().name(name)).contains("name"),
                "{name}"
            );
        }
        for name in ["__Host-x", "__secure-x"] {
            assert!(
                error(SessionCookie::new().name(name)).contains("prefix"),
                "{name}"
            );
        }
        for domain in ["", ".", "a b", "a;b"] {
            assert!(error(SessionCookie::new().domain(domain)).contains("domain"));
        }
        for path in ["", "app", "/a;b", "/a b"] {
            assert!(error(SessionCookie::new().path(path)).contains("path"));
        }
    }
}
