//! Rate limits on login starts and callbacks, per client address: a flood of logins or of forged
//! callbacks from one address gets `429 Too Many Requests` with `Retry-After` instead of writing
//! sessions and calling the provider. Logged-in requests, `skip` paths and every other path are
//! never limited here.
//!
//! The address is the connection's peer (`ConnectInfo`, which `axum::serve(listener, app)` gives
//! a `GuardedApp` by itself), or the `X-Forwarded-For` hop a trusted proxy added; IPv6 addresses
//! count per /64 (one host's share of a network). Loopback and private addresses (10/8,
//! 172.16/12, 192.168/16, link-local, IPv6 ULA) are not limited: they are a reverse proxy not
//! listed in `trusted_proxies` far more often than a client, and limiting the proxy would limit
//! every user at once. The state is
//! governor's GCRA per address, swept of idle addresses as it grows and capped at
//! `MAX_ADDRESSES` (100 000): past the cap, unknown addresses pass unlimited until entries age out, so
//! that memory stays bounded under a flood from many addresses.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use http::{HeaderValue, StatusCode, header};

/// The most client addresses tracked at once (about 100 bytes each).
pub(crate) const MAX_ADDRESSES: usize = 100_000;

/// How many checks between two sweeps of idle addresses.
const SWEEP_EVERY: u64 = 1024;

/// A limit on login starts and callbacks per client address: a burst, then a steady rate.
/// [`OAuthBuilder::rate_limit`](crate::OAuthBuilder::rate_limit) sets it; the default is
/// [`RateLimit::default`].
///
/// ```
/// use axum_oauth_login::RateLimit;
/// let limit = RateLimit::per_minute(30).burst(10);
/// assert_eq!(limit, RateLimit::per_minute(30).burst(10));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    per_minute: NonZeroU32,
    burst: NonZeroU32,
}

impl RateLimit {
    /// `n` requests a minute once the burst is spent (at least 1); the burst is `n` too unless
    /// [`burst`](Self::burst) says otherwise.
    ///
    /// ```
    /// let limit = axum_oauth_login::RateLimit::per_minute(120);
    /// # let _ = limit;
    /// ```
    #[must_use]
    pub fn per_minute(n: u32) -> Self {
        let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        Self {
            per_minute: n,
            burst: n,
        }
    }

    /// How many requests one address may make at once (at least 1).
    ///
    /// ```
    /// let limit = axum_oauth_login::RateLimit::per_minute(60).burst(20);
    /// # let _ = limit;
    /// ```
    #[must_use]
    pub fn burst(self, n: u32) -> Self {
        Self {
            burst: NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN),
            ..self
        }
    }
}

/// 60 a minute with a burst of 30 per address: far above what people logging in do (two
/// requests per login: the login page and the callback), even behind one office NAT, and far
/// below what a script does.
///
/// ```
/// use axum_oauth_login::RateLimit;
/// assert_eq!(RateLimit::default(), RateLimit::per_minute(60).burst(30));
/// ```
impl Default for RateLimit {
    fn default() -> Self {
        Self::per_minute(60).burst(30)
    }
}

/// The limiter of one installation.
pub(crate) struct Limiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    checks: AtomicU64,
    /// Whether the warning about requests without an address was given.
    warned: AtomicBool,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("addresses", &self.limiter.len())
            .finish_non_exhaustive()
    }
}

impl Limiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        let quota = Quota::per_minute(limit.per_minute).allow_burst(limit.burst);
        Self {
            limiter: DefaultKeyedRateLimiter::dashmap(quota),
            checks: AtomicU64::new(0),
            warned: AtomicBool::new(false),
        }
    }

    /// `Err(wait)` when the request's address is over its limit. A request whose address is
    /// unknown (no `ConnectInfo`), loopback or private passes.
    pub(crate) fn check(
        &self,
        parts: &http::Extensions,
        headers: &http::HeaderMap,
        trusted_proxies: &[IpAddr],
    ) -> Result<(), Duration> {
        if parts.get::<ConnectInfo<SocketAddr>>().is_none() {
            if !self.warned.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    "the login rate limit needs the client's address (`axum::serve(listener, app)` on TCP, or `into_make_service_with_connect_info::<SocketAddr>()`); until then nothing is limited"
                );
            }
            return Ok(());
        }
        let Some(address) = client_address(parts, headers, trusted_proxies) else {
            return Ok(());
        };
        if self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY)
        {
            self.limiter.retain_recent();
        }
        if self.limiter.len() >= MAX_ADDRESSES {
            self.limiter.retain_recent();
            if self.limiter.len() >= MAX_ADDRESSES {
                tracing::warn!("the rate limiter is full: new addresses pass unlimited for now");
                return Ok(());
            }
        }
        self.limiter
            .check_key(&address)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// The client's address: the `X-Forwarded-For` hop a trusted proxy added, else the peer's; IPv6
/// cut to its /64.
fn client_address(
    extensions: &http::Extensions,
    headers: &http::HeaderMap,
    trusted_proxies: &[IpAddr],
) -> Option<IpAddr> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    let address = if trusted_proxies.contains(&peer) {
        headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            // Only the hop closest to us is the trusted proxy's own word.
            .and_then(|v| v.rsplit(',').next())
            .and_then(|hop| hop.trim().parse().ok())
            .unwrap_or(peer)
    } else {
        peer
    };
    let address = match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 @ IpAddr::V4(_) => v4,
    };
    match address {
        IpAddr::V4(v4)
            if v4.is_loopback() || v4.is_private() || v4.is_link_local() || v4.is_unspecified() =>
        {
            None
        }
        IpAddr::V6(v6)
            if v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80 =>
        {
            None
        }
        IpAddr::V6(v6) => Some(IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into())),
        v4 @ IpAddr::V4(_) => Some(v4),
    }
}

/// The answer over the limit: `429` with `Retry-After` (whole seconds, at least 1).
pub(crate) fn too_many(wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let retry = HeaderValue::from(seconds.max(1));
    (
        StatusCode::TOO_MANY_REQUESTS,
        [
            (header::RETRY_AFTER, retry),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        "Too many login attempts from this address; try again shortly.",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(peer: &str, forwarded: Option<&str>) -> (http::Extensions, http::HeaderMap) {
        let mut extensions = http::Extensions::new();
        extensions.insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        let mut headers = http::HeaderMap::new();
        if let Some(forwarded) = forwarded {
            headers.insert("x-forwarded-for", forwarded.parse().unwrap());
        }
        (extensions, headers)
    }

    #[test]
    fn the_address_is_the_peer_or_the_trusted_proxys_hop() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let address = |peer, fwd| {
            let (e, h) = from(peer, fwd);
            client_address(&e, &h, &[proxy]).unwrap().to_string()
        };
        assert_eq!(
            address("1.2.3.4:5", Some("9.9.9.9")),
            "1.2.3.4",
            "untrusted peer"
        );
        assert_eq!(address("10.0.0.1:5", Some("6.6.6.6, 7.7.7.7")), "7.7.7.7");
        assert_eq!(address("[2001:db8:1:2:3:4:5:6]:5", None), "2001:db8:1:2::");
        assert_eq!(address("[::ffff:1.2.3.4]:5", None), "1.2.3.4");
        assert!(client_address(&http::Extensions::new(), &http::HeaderMap::new(), &[]).is_none());
        // Loopback and private addresses are proxies more often than clients: not limited.
        for shared in [
            "127.0.0.1:5",
            "10.1.2.3:5",
            "192.168.1.1:5",
            "[::1]:5",
            "[fd00::1]:5",
        ] {
            let (e, h) = from(shared, None);
            assert!(client_address(&e, &h, &[]).is_none(), "{shared}");
        }
        let (e, h) = from("10.0.0.1:5", Some("garbage"));
        assert!(
            client_address(&e, &h, &[proxy]).is_none(),
            "the proxy itself"
        );
    }

    #[test]
    fn a_burst_then_the_rate_and_addresses_are_separate() {
        let limiter = Limiter::new(RateLimit::per_minute(60).burst(3));
        let (a, h) = from("1.2.3.4:1", None);
        for _ in 0..3 {
            assert!(limiter.check(&a, &h, &[]).is_ok());
        }
        let wait = limiter.check(&a, &h, &[]).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        let (b, h) = from("5.6.7.8:1", None);
        assert!(limiter.check(&b, &h, &[]).is_ok());
        let response = too_many(wait);
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }

    #[test]
    fn the_state_is_capped() {
        let limiter = Limiter::new(RateLimit::per_minute(1));
        let headers = http::HeaderMap::new();
        let peer = |i: u32| {
            let mut e = http::Extensions::new();
            e.insert(ConnectInfo(SocketAddr::from((
                std::net::Ipv4Addr::from(0x0100_0000 + i),
                1,
            ))));
            e
        };
        for i in 0..u32::try_from(MAX_ADDRESSES).unwrap() {
            assert!(limiter.check(&peer(i), &headers, &[]).is_ok());
        }
        assert_eq!(limiter.limiter.len(), MAX_ADDRESSES);
        // Full of addresses that are not idle yet: a new one passes, and is not tracked.
        assert!(limiter.check(&peer(0x7000_0000), &headers, &[]).is_ok());
        assert!(limiter.check(&peer(0x7000_0000), &headers, &[]).is_ok());
        assert_eq!(limiter.limiter.len(), MAX_ADDRESSES);
    }
}
