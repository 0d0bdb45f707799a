//! The session layer, run by the guard: which session a request belongs to (its cookie), and,
//! after the response, saving the session and setting or removing the cookie.
//!
//! It does what tower-sessions' `SessionManagerLayer` does, with tower-sessions' own [`Session`]
//! and stores, and the `cookie` crate's encryption and `Set-Cookie` formatting. Handlers extract
//! the same [`Session`]. What it leaves out is the cost around them, on every request of every
//! user: a cookie jar behind its own `Arc<Mutex>` with a copy of every cookie of the request, two
//! more boxed futures, a tracing span and a clone of the layer's settings. The request's `Cookie`
//! header is searched for the one cookie, without copying it.

use std::borrow::Cow;
use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use http::HeaderMap;
use http::header::{COOKIE, SET_COOKIE};
use tower_sessions::cookie::{Cookie, CookieJar, Key, SameSite};
use tower_sessions::session::Id;
use tower_sessions::{Expiry, Session, SessionStore};

use crate::Error;

/// Opens each request's session with the installation's store and cookie settings.
pub(crate) struct Sessions {
    /// The cookie's name.
    name: Cow<'static, str>,
    /// `Secure` on the cookie (an https public URL).
    secure: bool,
    /// Encrypts and authenticates the cookie's value, when set.
    key: Option<Key>,
    /// The store, typed: [`Session::new`] wants a sized store.
    open: Box<dyn Fn(Option<Id>) -> Session + Send + Sync>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("name", &self.name)
            .field("secure", &self.secure)
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
    /// Sessions in `store`, with a `SameSite=Lax`, `HttpOnly` cookie for the whole site.
    pub(crate) fn new<S: SessionStore>(
        store: Arc<S>,
        name: Cow<'static, str>,
        secure: bool,
        key: Option<Key>,
        expiry: Expiry,
    ) -> Self {
        Self {
            name,
            secure,
            key,
            open: Box::new(move |id| Session::new(id, store.clone(), Some(expiry))),
        }
    }

    /// The value of the request's session cookie, as sent (allocates nothing): the guard looks
    /// at it once, to answer anonymous requests without a session and to [`open`](Self::open)
    /// the others.
    pub(crate) fn cookie<'a>(&self, headers: &'a HeaderMap) -> Option<&'a str> {
        cookie_value(headers, &self.name)
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
                .decrypt(Cookie::new(self.name.clone(), value.to_owned()))
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
    /// a session that is gone. A session that cannot be saved answers 503 (fail closed), as no
    /// cookie can be given for it.
    pub(crate) async fn close(&self, opened: Opened, mut response: Response) -> Response {
        let Opened {
            session,
            had_cookie,
        } = opened;
        let modified = session.is_modified();
        let empty = session.is_empty().await;
        let cookie = if had_cookie && empty {
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
                jar.get(&self.name).cloned().ok_or(Error::SessionStore)?
            }
        })
    }

    /// The cookie that makes the browser forget the session cookie.
    fn removal(&self) -> Cookie<'static> {
        self.cookie_builder(String::new()).removal().build()
    }

    fn cookie_builder(&self, value: String) -> tower_sessions::cookie::CookieBuilder<'static> {
        Cookie::build((self.name.clone(), value))
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .path("/")
    }
}

/// The value of the last non-empty cookie named `name` in the request's `Cookie` headers (a
/// cookie jar keeps the last one too), without allocating.
///
/// The header is read as bytes: another cookie's value may be anything a browser stores (UTF-8,
/// even bytes that are not), and must not hide the session cookie. Session ids and encrypted
/// values are base64, so the value is taken as it is: a percent-encoded, quoted or non-UTF-8
/// value is no session id of this library's.
fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .flat_map(|header| header.as_bytes().split(|&b| b == b';'))
        .filter_map(|pair| {
            let at = pair.iter().position(|&b| b == b'=')?;
            let value = pair[at + 1..].trim_ascii();
            (pair[..at].trim_ascii() == name.as_bytes() && !value.is_empty())
                .then(|| std::str::from_utf8(value).ok())
                .flatten()
        })
        .next_back()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_sessions::MemoryStore;

    fn sessions(key: Option<Key>) -> Sessions {
        Sessions::new(
            Arc::new(MemoryStore::default()),
            Cow::Borrowed("sid"),
            true,
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
    fn the_last_cookie_of_the_name_is_the_session_cookie() {
        let s = sessions(None);
        let value = |cookies: &[&str]| cookie_value(&headers(cookies), "sid").map(str::to_owned);
        assert_eq!(value(&["sid=abc"]).as_deref(), Some("abc"));
        assert_eq!(value(&["a=1; sid=abc; b=2"]).as_deref(), Some("abc"));
        assert_eq!(value(&["a=x;sid=abc"]).as_deref(), Some("abc"));
        assert_eq!(value(&["  sid = v "]).as_deref(), Some("v"));
        assert_eq!(value(&["sid=1; sid=2", "sid=3"]).as_deref(), Some("3"));
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
        let found = opened(&["sid=old", &format!("a=1; sid={id}; b=2")]);
        assert_eq!(found.session.id(), id.parse().ok());
        assert!(found.had_cookie);
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
}
