//! ID token verification against the provider's published keys (JWKS).
//!
//! The key set is fetched lazily, at the first login, and kept in the [`Client`](crate::Client).
//! A token signed with a key the cache does not know (the provider rotated its keys) triggers one
//! refetch, but at most one per cooldown: a stream of tokens with made-up `kid`s must not turn into
//! a stream of requests to the provider.
//!
//! Keys older than an hour are refreshed in the background: the login that notices it goes on
//! with the cached keys, and so do all the others while the refresh runs. There is one fetch at a
//! time (a login that has to wait for the keys takes the outcome of the fetch it waited for rather
//! than starting another), and a failed refresh is retried only after the cooldown, so a provider
//! whose key endpoint hangs costs a login at most one HTTP timeout, and only a login that cannot
//! do without a fetch (no keys yet, or an unknown `kid`). Stale keys keep working, with a warning,
//! while the provider cannot be reached, but not for ever: keys fetched more than a day ago are
//! no longer trusted, and a login then needs a successful fetch (a key the provider withdrew, say
//! after a leak, must not stay valid here because its key endpoint stays unreachable).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use serde_json::{Map, Value};
use url::Url;

use crate::Error;
use crate::http::HttpClient;

/// The signature algorithms accepted in signed tokens. Never HS* (the "key" would be the client
/// secret, or worse, a public key); `none` only for an ID token, and only when the client opted in
/// ([`Policy::unsigned_id_tokens`]).
const ALLOWED: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Clock skew tolerated on `exp` and `iat`, in seconds.
const LEEWAY: u64 = 60;

/// Default minimum time between two fetches an unknown `kid` causes, and between a failed
/// refresh and the next one.
pub(crate) const DEFAULT_COOLDOWN: Duration = Duration::from_secs(30);

/// Default age after which the cached keys are refreshed (in the background).
pub(crate) const MAX_AGE: Duration = Duration::from_secs(3600);

/// Default age after which cached keys are no longer used, even when a refresh fails.
pub(crate) const MAX_STALE: Duration = Duration::from_secs(24 * 3600);

/// How a client keeps the provider's keys.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Policy {
    /// See [`DEFAULT_COOLDOWN`].
    pub(crate) cooldown: Duration,
    /// See [`MAX_AGE`].
    pub(crate) max_age: Duration,
    /// See [`MAX_STALE`].
    pub(crate) max_stale: Duration,
    /// Whether unsigned ID tokens (`alg: none`) are accepted: only for a client registered with
    /// `id_token_signed_response_alg=none` (`Client::allow_unsigned_id_tokens`).
    pub(crate) unsigned_id_tokens: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            cooldown: DEFAULT_COOLDOWN,
            max_age: MAX_AGE,
            max_stale: MAX_STALE,
            unsigned_id_tokens: false,
        }
    }
}

/// The provider's keys, fetched on demand.
pub(crate) struct Jwks {
    url: Url,
    policy: Policy,
    /// Shared with the background refresh, which may outlive the login that started it.
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Held by whoever fetches: one fetch at a time.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    fetched: Option<Fetched>,
    /// Completed fetches, successful or not: a login that waited for `fetching` and sees this
    /// changed takes the outcome of that fetch instead of queueing another one.
    attempts: u64,
    /// Why the last fetch failed (`None` when it succeeded).
    failure: Option<FetchError>,
    /// When the last fetch failed: the next background refresh waits the cooldown.
    failed_at: Option<Instant>,
    /// When an unknown `kid` last caused a refetch (the cooldown counts from here).
    miss_refetch: Option<Instant>,
    /// A background refresh is scheduled or running.
    refreshing: bool,
}

#[derive(Clone)]
struct Fetched {
    keys: Arc<Vec<Jwk>>,
    at: Instant,
}

/// Why the key set could not be fetched: a fixed sentence, no URL, no body.
#[derive(Clone, Debug)]
enum FetchError {
    Network(String),
    Invalid(String),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Network(why) | Self::Invalid(why) => f.write_str(why),
        }
    }
}

impl From<FetchError> for Error {
    fn from(error: FetchError) -> Self {
        match error {
            FetchError::Network(why) => Self::Network(why),
            FetchError::Invalid(why) => Self::IdToken(why),
        }
    }
}

impl std::fmt::Debug for Jwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwks")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

/// Whether the claims' `iss` is the provider's; the error is a fixed sentence.
pub(crate) type IssuerRule<'a> =
    dyn Fn(&Map<String, Value>) -> Result<(), &'static str> + Sync + 'a;

/// What an ID token must say.
pub(crate) struct Expected<'a> {
    /// Whether the claims' `iss` is the provider's (`Provider::check_issuer`); the error is a
    /// fixed sentence.
    pub(crate) issuer: &'a IssuerRule<'a>,
    pub(crate) client_id: &'a str,
    /// The nonce of the authorization request; `None` skips the check (refresh responses).
    pub(crate) nonce: Option<&'a str>,
}

fn no_key() -> Error {
    Error::IdToken("no published key matches the token".into())
}

impl Jwks {
    pub(crate) fn new(url: Url, policy: Policy) -> Self {
        Self {
            url,
            policy,
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                fetching: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Verifies `token` (signature, `iss`, `aud`, `azp`, `exp`, `iat`, `nonce`) and returns its
    /// claims.
    pub(crate) async fn verify(
        &self,
        http: &HttpClient,
        token: &str,
        expected: &Expected<'_>,
    ) -> Result<Map<String, Value>, Error> {
        let claims = match unsigned_claims(token) {
            Some(claims) if self.policy.unsigned_id_tokens => {
                check_unsigned(&claims, expected.client_id)?;
                claims
            }
            Some(_) => return Err(Error::IdToken("algorithm none is not allowed".into())),
            None => {
                self.verify_signed(
                    http,
                    token,
                    expected.client_id,
                    &["exp", "iss", "aud", "sub"],
                )
                .await?
            }
        };
        check_claims(&claims, expected)?;
        Ok(claims)
    }

    /// Verifies a back-channel logout token (OpenID Connect Back-Channel Logout 1.0 §2.6): the
    /// signature as for an ID token, `iss`, `aud`, `iat` (at most [`LOGOUT_TOKEN_MAX_AGE`] old),
    /// `exp` when present, the `events` member, `sid` or `sub`, a `jti`, and no `nonce` (so that
    /// an ID token is never taken for a logout token). The error is a fixed sentence.
    pub(crate) async fn verify_logout_token(
        &self,
        http: &HttpClient,
        token: &str,
        issuer: &IssuerRule<'_>,
        client_id: &str,
    ) -> Result<Map<String, Value>, Error> {
        let claims = self
            .verify_signed(http, token, client_id, &["iss", "aud", "iat"])
            .await?;
        check_logout_claims(&claims, issuer)?;
        Ok(claims)
    }

    /// Checks the signature with the provider's keys (an allowed asymmetric algorithm only),
    /// `aud`, `exp` when present, and that the `required` claims are there.
    async fn verify_signed(
        &self,
        http: &HttpClient,
        token: &str,
        audience: &str,
        required: &[&str],
    ) -> Result<Map<String, Value>, Error> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Error::IdToken("malformed token or unsupported algorithm".into()))?;
        if !ALLOWED.contains(&header.alg) {
            return Err(Error::IdToken(format!(
                "algorithm {:?} is not allowed",
                header.alg
            )));
        }
        let keys = self
            .keys_for(http, header.kid.as_deref(), header.alg)
            .await?;

        let mut validation = Validation::new(header.alg);
        validation.leeway = LEEWAY;
        // `iss` is required here and checked afterwards, by the provider's rule.
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(required);

        let verify = |keys: &[DecodingKey]| -> Option<Result<Map<String, Value>, Error>> {
            for key in keys {
                match jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation) {
                    Ok(data) => return Some(Ok(data.claims)),
                    // Without a `kid` several keys may fit: try the next one.
                    Err(e) if matches!(e.kind(), ErrorKind::InvalidSignature) => {}
                    Err(e) => return Some(Err(Error::IdToken(describe(e.kind())))),
                }
            }
            None
        };
        if let Some(verified) = verify(&keys) {
            return verified;
        }
        // A token without `kid` signed by a key the cached set lacks (a rotation this client has
        // not seen): the keys once more, within the same cooldown as an unknown `kid`.
        if header.kid.is_none()
            && let Some(fresh) = self.refetch_after_miss(http, header.alg).await?
            && let Some(verified) = verify(&fresh)
        {
            return verified;
        }
        Err(Error::IdToken("bad signature".into()))
    }

    /// Fetches the keys again for a token no cached key verifies, unless a miss caused a refetch
    /// less than a cooldown ago (`None` then); the keys fit for `alg`.
    async fn refetch_after_miss(
        &self,
        http: &HttpClient,
        alg: Algorithm,
    ) -> Result<Option<Vec<DecodingKey>>, Error> {
        let _fetching = self.shared.fetching.lock().await;
        {
            let mut state = self.shared.lock();
            if state
                .miss_refetch
                .is_some_and(|at| at.elapsed() < self.policy.cooldown)
            {
                return Ok(None);
            }
            state.miss_refetch = Some(Instant::now());
        }
        let keys = fetch_and_record(&self.shared, http, &self.url).await?;
        Ok(Some(select(&keys, None, alg)))
    }

    /// The keys that may have signed a token with this `kid` and `alg`. Cached keys that fit are
    /// used at once up to [`Policy::max_stale`] (a refresh starts in the background when they are
    /// past their age); otherwise the login waits for a fetch: the first one, one after the keys
    /// expired (or the failure of the last one, within the cooldown), or one refetch per cooldown
    /// for an unknown `kid`.
    async fn keys_for(
        &self,
        http: &HttpClient,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Vec<DecodingKey>, Error> {
        let (seen, cached) = {
            let state = self.shared.lock();
            (state.attempts, state.fetched.clone())
        };
        if let Some(fetched) = cached.as_ref().filter(|f| self.usable(f)) {
            let keys = select(&fetched.keys, kid, alg);
            if !keys.is_empty() {
                if fetched.at.elapsed() >= self.policy.max_age {
                    self.refresh_in_background(http);
                }
                return Ok(keys);
            }
        }

        let _fetching = self.shared.fetching.lock().await;
        {
            let mut state = self.shared.lock();
            if state.attempts != seen {
                // A fetch ended while this login waited: its keys, or its failure (another fetch
                // now would only queue this login behind one more timeout).
                if let Some(fetched) = state.fetched.as_ref().filter(|f| self.usable(f)) {
                    let keys = select(&fetched.keys, kid, alg);
                    if !keys.is_empty() {
                        return Ok(keys);
                    }
                }
                if let Some(failure) = &state.failure {
                    return Err(failure.clone().into());
                }
            }
            if state.fetched.as_ref().is_some_and(|f| !self.usable(f)) {
                // Expired keys: a fetch is needed, but not more than one per cooldown while the
                // provider keeps failing.
                if let (Some(failure), Some(at)) = (&state.failure, state.failed_at)
                    && at.elapsed() < self.policy.cooldown
                {
                    return Err(failure.clone().into());
                }
                tracing::debug!(
                    "the cached provider keys are past their stale limit: fetching them"
                );
            } else if state.fetched.is_some() {
                // An unknown `kid`: one refetch per cooldown, timed from the last refetch a miss
                // caused (not from routine fetches, so a rotation right after a login still works).
                if state
                    .miss_refetch
                    .is_some_and(|at| at.elapsed() < self.policy.cooldown)
                {
                    return Err(no_key());
                }
                state.miss_refetch = Some(Instant::now());
            }
        }
        let keys = fetch_and_record(&self.shared, http, &self.url).await?;
        let found = select(&keys, kid, alg);
        if found.is_empty() {
            return Err(no_key());
        }
        Ok(found)
    }

    /// Whether `fetched` may still verify tokens: fetched less than [`Policy::max_stale`] ago.
    fn usable(&self, fetched: &Fetched) -> bool {
        fetched.at.elapsed() < self.policy.max_stale
    }

    /// Whether the keys are current (fetched less than the maximum age ago), fetching them when
    /// they are not, unless the last fetch failed less than a cooldown ago (that failure is the
    /// answer then). The error is a fixed sentence.
    pub(crate) async fn ensure_current(&self, http: &HttpClient) -> Result<(), String> {
        let check = |state: &State| -> Option<Result<(), String>> {
            if state
                .fetched
                .as_ref()
                .is_some_and(|f| f.at.elapsed() < self.policy.max_age)
            {
                return Some(Ok(()));
            }
            match (&state.failure, state.failed_at) {
                (Some(failure), Some(at)) if at.elapsed() < self.policy.cooldown => {
                    Some(Err(failure.to_string()))
                }
                _ => None,
            }
        };
        if let Some(answer) = check(&self.shared.lock()) {
            return answer;
        }
        let _fetching = self.shared.fetching.lock().await;
        if let Some(answer) = check(&self.shared.lock()) {
            return answer;
        }
        fetch_and_record(&self.shared, http, &self.url)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Starts refreshing the keys, unless a refresh is already under way or the last fetch failed
    /// less than a cooldown ago. Never waits.
    fn refresh_in_background(&self, http: &HttpClient) {
        {
            let mut state = self.shared.lock();
            if state.refreshing
                || state
                    .failed_at
                    .is_some_and(|at| at.elapsed() < self.policy.cooldown)
            {
                return;
            }
            state.refreshing = true;
        }
        // Created here, not in the task, so that a task dropped before it runs (its runtime shut
        // down) still clears `refreshing`.
        let done = Refreshing(self.shared.clone());
        let (http, url, max_age) = (http.clone(), self.url.clone(), self.policy.max_age);
        let task = async move {
            let shared = &done.0;
            let _fetching = shared.fetching.lock().await;
            // A login may have fetched while this task waited for its turn.
            let stale = shared
                .lock()
                .fetched
                .as_ref()
                .is_none_or(|f| f.at.elapsed() >= max_age);
            if stale {
                // `fetch_and_record` logs and records a failure; the cached keys stay in use.
                let _ = fetch_and_record(shared, &http, &url).await;
            }
        };
        // Verification always runs on Tokio (reqwest needs it), but a refresh is no reason to
        // panic if it does not.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(task);
        } else {
            tracing::warn!("no Tokio runtime: the provider's keys are not refreshed");
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Clears [`State::refreshing`] when the background refresh ends, however it ends.
struct Refreshing(Arc<Shared>);

impl Drop for Refreshing {
    fn drop(&mut self) {
        self.0.lock().refreshing = false;
    }
}

/// Fetches the key set and records the outcome (the caller holds `shared.fetching`).
async fn fetch_and_record(
    shared: &Shared,
    http: &HttpClient,
    url: &Url,
) -> Result<Arc<Vec<Jwk>>, FetchError> {
    let result = fetch(http, url).await;
    let mut state = shared.lock();
    state.attempts += 1;
    match result {
        Ok(keys) => {
            let keys = Arc::new(keys);
            state.fetched = Some(Fetched {
                keys: keys.clone(),
                at: Instant::now(),
            });
            state.failure = None;
            state.failed_at = None;
            Ok(keys)
        }
        Err(error) => {
            if state.fetched.is_some() {
                // Expired keys beat no keys when the provider is briefly unreachable.
                tracing::warn!(error = %error, "refreshing the provider's keys failed; the cached ones stay in use for a day from their fetch");
            }
            state.failure = Some(error.clone());
            state.failed_at = Some(Instant::now());
            Err(error)
        }
    }
}

async fn fetch(http: &HttpClient, url: &Url) -> Result<Vec<Jwk>, FetchError> {
    tracing::debug!(url = %url, "fetching the provider's signing keys");
    let request = http
        .request(http::Method::GET, url.clone())
        .header(http::header::ACCEPT, "application/json");
    let response = crate::telemetry::provider_call("keys", http.send(request))
        .await
        .map_err(|e| FetchError::Network(e.to_string()))?;
    if !response.status.is_success() {
        let why = format!(
            "the provider's key set answered HTTP {}",
            response.status.as_u16()
        );
        // A provider that is down or overloaded is unreachable, not wrong.
        return Err(if response.status.is_server_error() {
            FetchError::Network(why)
        } else {
            FetchError::Invalid(why)
        });
    }
    let set = response
        .json()
        .ok_or_else(|| FetchError::Invalid("the provider's key set is not JSON".into()))?;
    let Some(Value::Array(entries)) = set.get("keys") else {
        return Err(FetchError::Invalid(
            "the provider's key set has no `keys`".into(),
        ));
    };
    // Key by key: one key of a type jsonwebtoken does not know must not hide the others.
    Ok(entries
        .iter()
        .filter_map(|entry| serde_json::from_value(entry.clone()).ok())
        .collect())
}

/// The keys fit for verifying a token with `kid` and `alg`.
fn select(keys: &[Jwk], kid: Option<&str>, alg: Algorithm) -> Vec<DecodingKey> {
    keys.iter()
        .filter(|jwk| kid.is_none_or(|kid| jwk.common.key_id.as_deref() == Some(kid)))
        .filter(|jwk| {
            !matches!(
                jwk.common.public_key_use,
                Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
            )
        })
        .filter(|jwk| {
            // A key that names its algorithm is used with that algorithm only.
            jwk.common
                .key_algorithm
                .is_none_or(|ka| ka.to_string().parse::<Algorithm>().ok() == Some(alg))
        })
        .filter(|jwk| fits(&jwk.algorithm, alg))
        .filter_map(|jwk| DecodingKey::from_jwk(jwk).ok())
        .collect()
}

/// Whether the key type can verify `alg` (never a symmetric key).
fn fits(params: &AlgorithmParameters, alg: Algorithm) -> bool {
    use Algorithm::{ES256, ES384, EdDSA, PS256, PS384, PS512, RS256, RS384, RS512};
    match params {
        AlgorithmParameters::RSA(_) => matches!(alg, RS256 | RS384 | RS512 | PS256 | PS384 | PS512),
        AlgorithmParameters::EllipticCurve(ec) => matches!(
            (alg, &ec.curve),
            (ES256, EllipticCurve::P256) | (ES384, EllipticCurve::P384)
        ),
        AlgorithmParameters::OctetKeyPair(okp) => {
            alg == EdDSA && okp.curve == EllipticCurve::Ed25519
        }
        AlgorithmParameters::OctetKey(_) => false,
    }
}

/// What jsonwebtoken's validation found, as a fixed sentence.
fn describe(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::InvalidSignature => "bad signature",
        ErrorKind::ExpiredSignature => "expired",
        ErrorKind::ImmatureSignature => "not yet valid",
        ErrorKind::InvalidIssuer => "wrong issuer",
        ErrorKind::InvalidAudience => "wrong audience",
        ErrorKind::InvalidAlgorithm => "algorithm does not match the key",
        ErrorKind::MissingRequiredClaim(claim) => return format!("missing claim `{claim}`"),
        _ => "malformed token",
    }
    .to_owned()
}

/// The checks jsonwebtoken does not make: `azp`, `iat`, `nonce`, a non-empty `sub`.
fn check_claims(claims: &Map<String, Value>, expected: &Expected<'_>) -> Result<(), Error> {
    let fail = |why: &str| Err(Error::IdToken(why.to_owned()));
    (expected.issuer)(claims).map_err(|why| Error::IdToken(why.to_owned()))?;
    if claims
        .get("sub")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return fail("missing claim `sub`");
    }
    // OpenID Connect Core 3.1.3.7, steps 4 and 5.
    let several_audiences = claims
        .get("aud")
        .and_then(Value::as_array)
        .is_some_and(|a| a.len() > 1);
    match claims.get("azp") {
        Some(Value::String(azp)) if azp == expected.client_id => {}
        Some(_) => return fail("wrong authorized party (azp)"),
        None if several_audiences => {
            return fail("several audiences and no authorized party (azp)");
        }
        None => {}
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    match claims.get("iat").and_then(Value::as_f64) {
        #[allow(clippy::cast_precision_loss)] // Unix seconds are far below 2^52.
        Some(iat) if iat <= (now + LEEWAY) as f64 => {}
        Some(_) => return fail("issued in the future"),
        None => return fail("missing claim `iat`"),
    }
    if let Some(nonce) = expected.nonce {
        match claims.get("nonce").and_then(Value::as_str) {
            Some(got) if constant_time_eq(got.as_bytes(), nonce.as_bytes()) => {}
            Some(_) => return fail("nonce mismatch"),
            None => return fail("missing claim `nonce`"),
        }
    }
    Ok(())
}

/// How old a logout token may be (its `iat`): a provider delivers it at once, and retries for
/// minutes at most; an older one is refused, and its `jti` need not be remembered longer.
pub(crate) const LOGOUT_TOKEN_MAX_AGE: u64 = 600;

/// The `events` member that makes a token a back-channel logout token.
const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// The checks of Back-Channel Logout 1.0 §2.6 that jsonwebtoken does not make.
fn check_logout_claims(claims: &Map<String, Value>, issuer: &IssuerRule<'_>) -> Result<(), Error> {
    let fail = |why: &str| Err(Error::IdToken(why.to_owned()));
    issuer(claims).map_err(|why| Error::IdToken(why.to_owned()))?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    match claims.get("iat").and_then(Value::as_f64) {
        #[allow(clippy::cast_precision_loss)] // Unix seconds are far below 2^52.
        Some(iat) if iat > (now + LEEWAY) as f64 => return fail("issued in the future"),
        #[allow(clippy::cast_precision_loss)]
        Some(iat) if iat < now.saturating_sub(LOGOUT_TOKEN_MAX_AGE + LEEWAY) as f64 => {
            return fail("issued too long ago");
        }
        Some(_) => {}
        None => return fail("missing claim `iat`"),
    }
    match claims.get("events").and_then(Value::as_object) {
        Some(events)
            if events
                .get(BACKCHANNEL_LOGOUT_EVENT)
                .is_some_and(Value::is_object) => {}
        Some(_) => return fail("the `events` claim has no back-channel logout event"),
        None => return fail("missing claim `events`"),
    }
    let named = |claim: &str| {
        claims
            .get(claim)
            .and_then(Value::as_str)
            .is_some_and(|v| !v.is_empty())
    };
    if !named("sid") && !named("sub") {
        return fail("neither `sid` nor `sub`");
    }
    if !named("jti") {
        return fail("missing claim `jti`");
    }
    if claims.contains_key("nonce") {
        return fail("a logout token has no `nonce`");
    }
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The claims of an unsigned token (`{"alg":"none"}`, an empty signature); `None` for any other.
fn unsigned_claims(token: &str) -> Option<Map<String, Value>> {
    use base64::Engine as _;
    let mut parts = token.split('.');
    let (header, _, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !signature.is_empty() {
        return None;
    }
    let header: Map<String, Value> = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .ok()?,
    )
    .ok()?;
    if header.get("alg").and_then(Value::as_str) != Some("none") {
        return None;
    }
    unverified_claims(token)
}

/// What jsonwebtoken checks of a signed ID token, for an unsigned one: `aud` names this client,
/// `exp` is there and not past, `iss` is there (the rest is [`check_claims`]).
fn check_unsigned(claims: &Map<String, Value>, client_id: &str) -> Result<(), Error> {
    let fail = |why: &str| Err(Error::IdToken(why.to_owned()));
    let ours = match claims.get("aud") {
        Some(Value::String(aud)) => aud == client_id,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(client_id)),
        _ => return fail("missing claim `aud`"),
    };
    if !ours {
        return fail("wrong audience");
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    match claims.get("exp").and_then(Value::as_f64) {
        #[allow(clippy::cast_precision_loss)] // Unix seconds are far below 2^52.
        Some(exp) if exp + LEEWAY as f64 > now as f64 => {}
        Some(_) => return fail("expired"),
        None => return fail("missing claim `exp`"),
    }
    if !claims.contains_key("iss") {
        return fail("missing claim `iss`");
    }
    Ok(())
}

/// The claims of a token without any verification: only for reading again an ID token this
/// client verified earlier (its `sub` against a refresh response's, its `iss`, `sub` and `sid` for
/// the logout index), or for picking which provider verifies a logout token.
pub(crate) fn unverified_claims(token: &str) -> Option<Map<String, Value>> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The `sub` of a token, unverified (see [`unverified_claims`]).
pub(crate) fn unverified_sub(token: &str) -> Option<String> {
    unverified_claims(token)?
        .get("sub")?
        .as_str()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;

    use super::*;

    fn unsigned(header: &Value, claims: &Value, signature: &str) -> String {
        let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.{signature}", part(header), part(claims))
    }

    fn now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn only_alg_none_with_an_empty_signature_is_an_unsigned_token() {
        let claims = json!({ "iss": "https://op", "aud": "app", "exp": now() + 60, "sub": "1" });
        let none = json!({ "alg": "none" });
        assert!(unsigned_claims(&unsigned(&none, &claims, "")).is_some());
        assert!(unsigned_claims(&unsigned(&none, &claims, "c2ln")).is_none());
        assert!(unsigned_claims(&unsigned(&json!({ "alg": "ES256" }), &claims, "")).is_none());
        assert!(unsigned_claims(&format!("{}.", unsigned(&none, &claims, ""))).is_none());
        assert!(unsigned_claims("not a token").is_none());
    }

    #[test]
    fn unsigned_id_tokens_are_checked_like_signed_ones() {
        let good = json!({ "iss": "https://op", "aud": ["app", "other"], "exp": now() + 60 });
        let map = |v: Value| v.as_object().unwrap().clone();
        assert!(check_unsigned(&map(good), "app").is_ok());
        for bad in [
            json!({ "iss": "https://op", "aud": "other", "exp": now() + 60 }),
            json!({ "iss": "https://op", "exp": now() + 60 }),
            json!({ "iss": "https://op", "aud": "app", "exp": now() - LEEWAY - 5 }),
            json!({ "iss": "https://op", "aud": "app" }),
            json!({ "aud": "app", "exp": now() + 60 }),
        ] {
            assert!(check_unsigned(&map(bad.clone()), "app").is_err(), "{bad}");
        }
    }
}
