//! Codes and tokens in memory: single-use, expiring, bounded.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// How long an authorization code can be redeemed.
pub(super) const CODE_TTL: Duration = Duration::from_secs(60);
/// How long an access token works (the `expires_in` of the token response).
pub(super) const ACCESS_TTL: Duration = Duration::from_secs(3600);
/// How long a refresh token works.
const REFRESH_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long a redeemed code or refresh token is remembered, to detect its replay.
const SPENT_TTL: Duration = Duration::from_secs(600);

// Caps, so that a loop of logins cannot grow memory without end: the entry closest to expiry
// gives way once expired entries are gone.
const MAX_CODES: usize = 1024;
const MAX_TOKENS: usize = 8192;

/// The user a login name stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct User {
    pub(super) sub: String,
    pub(super) email: String,
    pub(super) name: String,
    pub(super) username: String,
}

impl User {
    /// The user for what was typed on the login page: an email address (contains `@`) or a
    /// name (email `{name}@example.com`). `None` when empty or longer than 254 bytes.
    pub(super) fn from_login(login: &str) -> Option<Self> {
        let login = login.trim();
        if login.is_empty() || login.len() > 254 || login.chars().any(char::is_control) {
            return None;
        }
        let (email, name) = match login.split_once('@') {
            Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
                (login.to_lowercase(), local.to_owned())
            }
            Some(_) => return None,
            None => {
                // "Ada Lovelace" -> ada.lovelace@example.com
                let local: String = login
                    .to_lowercase()
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || "._-+".contains(c) {
                            c
                        } else {
                            '.'
                        }
                    })
                    .collect();
                (format!("{local}@example.com"), login.to_owned())
            }
        };
        let username = email.split('@').next().unwrap_or_default().to_owned();
        let digest = hex::encode(Sha256::digest(email.as_bytes()));
        Some(Self {
            sub: format!("dev-{}", &digest[..16]),
            email,
            name,
            username,
        })
    }

    /// The claims `scope` grants: `sub` always, `email` with `email`, names with `profile`.
    pub(super) fn claims(&self, scope: &[&str]) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("sub".into(), json!(self.sub));
        if scope.contains(&"email") {
            claims.insert("email".into(), json!(self.email));
            claims.insert("email_verified".into(), json!(true));
        }
        if scope.contains(&"profile") {
            claims.insert("name".into(), json!(self.name));
            claims.insert("preferred_username".into(), json!(self.username));
        }
        claims
    }
}

/// One login: what every code and token issued for it shares.
#[derive(Debug)]
pub(super) struct Grant {
    pub(super) id: String,
    pub(super) client_id: String,
    pub(super) user: User,
    pub(super) scope: Vec<&'static str>,
    /// When the user logged in (Unix seconds), the ID token's `auth_time`.
    pub(super) auth_time: u64,
    /// The authentication context class of the login, the ID token's `acr`.
    pub(super) acr: &'static str,
    /// The provider session of the login, the ID token's and the logout token's `sid`.
    pub(super) sid: String,
}

/// An authorization code waiting for its token request.
#[derive(Debug)]
pub(super) struct PendingCode {
    pub(super) grant: Arc<Grant>,
    pub(super) redirect_uri: String,
    pub(super) code_challenge: String,
    pub(super) nonce: Option<String>,
    expires: Instant,
}

impl PendingCode {
    pub(super) fn new(
        grant: Arc<Grant>,
        redirect_uri: String,
        code_challenge: String,
        nonce: Option<String>,
    ) -> Self {
        Self {
            grant,
            redirect_uri,
            code_challenge,
            nonce,
            expires: Instant::now() + CODE_TTL,
        }
    }
}

#[derive(Debug)]
struct Issued {
    grant: Arc<Grant>,
    expires: Instant,
}

#[derive(Debug)]
struct Spent {
    grant_id: String,
    expires: Instant,
}

trait Expires {
    fn expires(&self) -> Instant;
}
impl Expires for PendingCode {
    fn expires(&self) -> Instant {
        self.expires
    }
}
impl Expires for Issued {
    fn expires(&self) -> Instant {
        self.expires
    }
}
impl Expires for Spent {
    fn expires(&self) -> Instant {
        self.expires
    }
}

/// Inserts, first making room when `map` is full: expired entries go, then the one that would
/// expire first.
fn insert_bounded<V: Expires>(map: &mut HashMap<String, V>, key: String, value: V, cap: usize) {
    if map.len() >= cap {
        let now = Instant::now();
        map.retain(|_, v| v.expires() > now);
    }
    if map.len() >= cap
        && let Some(oldest) = map
            .iter()
            .min_by_key(|(_, v)| v.expires())
            .map(|(k, _)| k.clone())
    {
        map.remove(&oldest);
    }
    map.insert(key, value);
}

/// Why a code or refresh token was refused.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Refused {
    /// Never issued, expired or revoked.
    Unknown,
    /// Already used: every token of its grant was revoked.
    Replayed,
}

/// A pair of fresh tokens.
pub(super) struct TokenPair {
    pub(super) access_token: String,
    pub(super) refresh_token: String,
}

/// All codes and tokens.
#[derive(Debug, Default)]
pub(super) struct Store {
    codes: HashMap<String, PendingCode>,
    access: HashMap<String, Issued>,
    refresh: HashMap<String, Issued>,
    /// Redeemed codes and refresh tokens, to detect their replay.
    spent: HashMap<String, Spent>,
    /// The latest logins, `(sub, sid)`, oldest first: whom back-channel logout can log out.
    logins: std::collections::VecDeque<(String, String)>,
}

/// How many logins back-channel logout remembers.
const MAX_LOGINS: usize = 1_000;

impl Store {
    /// Remembers a login for back-channel logout.
    pub(super) fn record_login(&mut self, sub: &str, sid: &str) {
        if self.logins.len() >= MAX_LOGINS {
            self.logins.pop_front();
        }
        self.logins.push_back((sub.to_owned(), sid.to_owned()));
    }

    /// The provider sessions of `sub`, oldest first, each once.
    pub(super) fn sids_of(&self, sub: &str) -> Vec<String> {
        let mut sids: Vec<String> = Vec::new();
        for (who, sid) in &self.logins {
            if who == sub && !sids.contains(sid) {
                sids.push(sid.clone());
            }
        }
        sids
    }

    /// Forgets the logins of `sub` (they were logged out).
    pub(super) fn forget_logins(&mut self, sub: &str) {
        self.logins.retain(|(who, _)| who != sub);
    }

    pub(super) fn insert_code(&mut self, code: String, pending: PendingCode) {
        insert_bounded(&mut self.codes, code, pending, MAX_CODES);
    }

    /// Takes the code out (it is single-use, whatever the token request's fate).
    pub(super) fn redeem_code(&mut self, code: &str) -> Result<PendingCode, Refused> {
        let now = Instant::now();
        match self.codes.remove(code) {
            Some(pending) => {
                self.mark_spent(code, &pending.grant.id, now);
                if pending.expires > now {
                    Ok(pending)
                } else {
                    Err(Refused::Unknown)
                }
            }
            None => Err(self.replay(code, now)),
        }
    }

    /// New access and refresh tokens for `grant`.
    pub(super) fn issue(&mut self, grant: Arc<Grant>) -> TokenPair {
        let now = Instant::now();
        let pair = TokenPair {
            access_token: super::random_token(),
            refresh_token: super::random_token(),
        };
        let access = Issued {
            grant: grant.clone(),
            expires: now + ACCESS_TTL,
        };
        insert_bounded(
            &mut self.access,
            pair.access_token.clone(),
            access,
            MAX_TOKENS,
        );
        let refresh = Issued {
            grant,
            expires: now + REFRESH_TTL,
        };
        insert_bounded(
            &mut self.refresh,
            pair.refresh_token.clone(),
            refresh,
            MAX_TOKENS,
        );
        pair
    }

    /// The grant of a live access token.
    pub(super) fn access(&self, token: &str) -> Option<Arc<Grant>> {
        self.access
            .get(token)
            .filter(|t| t.expires > Instant::now())
            .map(|t| t.grant.clone())
    }

    /// Takes a live refresh token out (rotation: the caller issues the next one).
    pub(super) fn redeem_refresh(&mut self, token: &str) -> Result<Arc<Grant>, Refused> {
        let now = Instant::now();
        match self.refresh.remove(token) {
            Some(issued) => {
                self.mark_spent(token, &issued.grant.id, now);
                if issued.expires > now {
                    Ok(issued.grant)
                } else {
                    Err(Refused::Unknown)
                }
            }
            None => Err(self.replay(token, now)),
        }
    }

    /// Revokes `token` (RFC 7009): an access token alone; a refresh token with its whole grant.
    pub(super) fn revoke(&mut self, token: &str) {
        self.access.remove(token);
        if let Some(issued) = self.refresh.remove(token) {
            self.revoke_grant(&issued.grant.id);
        }
    }

    fn mark_spent(&mut self, key: &str, grant_id: &str, now: Instant) {
        let spent = Spent {
            grant_id: grant_id.to_owned(),
            expires: now + SPENT_TTL,
        };
        insert_bounded(&mut self.spent, key.to_owned(), spent, MAX_TOKENS);
    }

    /// A code or refresh token that is not live: if it was spent, this is a replay, and the tokens
    /// of its grant are revoked (RFC 6749 §4.1.2, OAuth 2.0 Security BCP §4.14).
    fn replay(&mut self, key: &str, now: Instant) -> Refused {
        match self
            .spent
            .get(key)
            .filter(|s| s.expires > now)
            .map(|s| s.grant_id.clone())
        {
            Some(grant_id) => {
                self.revoke_grant(&grant_id);
                Refused::Replayed
            }
            None => Refused::Unknown,
        }
    }

    /// Revokes every token of `sub`'s grants.
    pub(super) fn revoke_user(&mut self, sub: &str) {
        self.access.retain(|_, t| t.grant.user.sub != sub);
        self.refresh.retain(|_, t| t.grant.user.sub != sub);
    }

    fn revoke_grant(&mut self, grant_id: &str) {
        self.access.retain(|_, t| t.grant.id != grant_id);
        self.refresh.retain(|_, t| t.grant.id != grant_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> Arc<Grant> {
        Arc::new(Grant {
            id: super::super::random_token(),
            client_id: "c".into(),
            user: User::from_login("ada").unwrap(),
            scope: vec!["openid"],
            auth_time: 0,
            acr: "urn:dev:pwd",
            sid: "s".into(),
        })
    }

    #[test]
    fn login_names_become_users() {
        let ada = User::from_login("  Ada Lovelace ").unwrap();
        assert_eq!(ada.email, "ada.lovelace@example.com");
        assert_eq!(ada.name, "Ada Lovelace");
        assert_eq!(ada.username, "ada.lovelace");
        assert!(ada.sub.starts_with("dev-") && ada.sub.len() == 20);
        let mail = User::from_login("Ada@Example.org").unwrap();
        assert_eq!(mail.email, "ada@example.org");
        assert_eq!(
            mail.sub,
            User::from_login("ada@example.org").unwrap().sub,
            "stable per email"
        );
        assert_ne!(mail.sub, ada.sub);
        assert!(User::from_login("   ").is_none());
        assert!(User::from_login(&"a".repeat(300)).is_none());
        assert!(User::from_login("a\u{0}b").is_none());
        assert!(User::from_login("ada@").is_none());
    }

    #[test]
    fn claims_follow_the_scope() {
        let ada = User::from_login("ada").unwrap();
        assert_eq!(ada.claims(&["openid"]).len(), 1);
        assert_eq!(ada.claims(&["openid", "email"])["email"], "ada@example.com");
        assert_eq!(ada.claims(&["profile"])["preferred_username"], "ada");
    }

    #[test]
    fn maps_stay_bounded() {
        let mut store = Store::default();
        let g = grant();
        for _ in 0..MAX_CODES + 10 {
            let pending = PendingCode::new(g.clone(), "u".into(), "c".into(), None);
            store.insert_code(super::super::random_token(), pending);
        }
        assert_eq!(store.codes.len(), MAX_CODES);
    }

    #[test]
    fn a_replayed_refresh_token_revokes_the_grant() {
        let mut store = Store::default();
        let pair = store.issue(grant());
        let same = store.redeem_refresh(&pair.refresh_token).unwrap();
        let next = store.issue(same);
        assert!(store.access(&next.access_token).is_some());
        assert_eq!(
            store.redeem_refresh(&pair.refresh_token).unwrap_err(),
            Refused::Replayed
        );
        assert!(store.access(&next.access_token).is_none());
        assert_eq!(store.redeem_refresh("nope").unwrap_err(), Refused::Unknown);
    }
}
