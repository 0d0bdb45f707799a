//! The redirect URL (the callback URL the provider sends the browser back to).

use http::request::Parts;
use http::uri::Authority;
use url::Url;

use crate::Error;

/// FastHTML's `redir_url(request, path)`: the absolute URL of `path` on the host the request was
/// sent to, `http` for `localhost`/`127.0.0.1`/`[::1]` and `https` elsewhere.
///
/// Prefer a configured public URL in production ([`OAuthBuilder::public_url`](crate::OAuthBuilder::public_url)):
/// the `Host` header is chosen by the client. `X-Forwarded-*` headers are never trusted here.
///
/// # Errors
/// [`Error::Config`] when the request has no valid `Host`.
///
/// ```
/// use axum_oauth_login::manual::redir_url;
/// let req = http::Request::get("/login").header("host", "localhost:8000").body(()).unwrap();
/// let (parts, ()) = req.into_parts();
/// assert_eq!(redir_url(&parts, "/redirect").unwrap(), "http://localhost:8000/redirect");
/// ```
pub fn redir_url(parts: &Parts, path: &str) -> Result<String, Error> {
    Ok(format!("{}{path}", request_origin(parts)?))
}

/// `scheme://host[:port]` of the request, by FastHTML's rule.
pub(crate) fn request_origin(parts: &Parts) -> Result<String, Error> {
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(Authority::as_str))
        .ok_or_else(|| Error::Config("the request has no Host header".into()))?;
    let authority = parse_authority(host)?;
    let scheme = if is_loopback(authority.host()) {
        "http"
    } else {
        "https"
    };
    Ok(format!("{scheme}://{authority}"))
}

/// Parsing as an authority rejects paths, user info tricks and spaces.
fn parse_authority(host: &str) -> Result<Authority, Error> {
    let not_a_host = || Error::Config("the request's Host header is not a host".into());
    let authority: Authority = host.parse().map_err(|_| not_a_host())?;
    if authority.as_str().contains('@') {
        return Err(not_a_host());
    }
    Ok(authority)
}

/// The origin redirect URLs are built on: the configured public URL; else, for a request that
/// comes straight from a trusted proxy, its `X-Forwarded-Proto`/`X-Forwarded-Host`; else
/// FastHTML's rule on `Host`. Forwarding headers from anyone else are ignored.
pub(crate) fn origin(
    parts: &Parts,
    public_url: Option<&Url>,
    trusted_proxies: &[std::net::IpAddr],
) -> Result<String, Error> {
    if let Some(public) = public_url {
        return Ok(public_origin(public));
    }
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    if peer.is_some_and(|ip| trusted_proxies.contains(&ip)) {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                // Only the hop closest to us is the trusted proxy's own word.
                .and_then(|v| v.rsplit(',').next())
                .map(str::trim)
        };
        if let Some(host) = header("x-forwarded-host") {
            let authority = parse_authority(host)?;
            let scheme = if header("x-forwarded-proto") == Some("http") {
                "http"
            } else {
                "https"
            };
            return Ok(format!("{scheme}://{authority}"));
        }
    }
    request_origin(parts)
}

pub(crate) fn is_loopback(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// The origin of a configured public URL, without a trailing slash (`https://example.com/app`).
pub(crate) fn public_origin(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(host: &str) -> Parts {
        http::Request::get("/")
            .header("host", host)
            .body(())
            .unwrap()
            .into_parts()
            .0
    }

    #[test]
    fn localhost_is_http_elsewhere_https() {
        assert_eq!(
            redir_url(&parts("127.0.0.1:3000"), "/r").unwrap(),
            "http://127.0.0.1:3000/r"
        );
        assert_eq!(
            redir_url(&parts("example.com"), "/r").unwrap(),
            "https://example.com/r"
        );
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let mut req = http::Request::get("/")
            .header("host", "internal:8080")
            .header("x-forwarded-host", "app.example.com")
            .header("x-forwarded-proto", "https")
            .body(())
            .unwrap()
            .into_parts()
            .0;
        let proxy: std::net::IpAddr = "10.0.0.2".parse().unwrap();
        // No peer address known, or an untrusted one: the headers are ignored.
        assert_eq!(
            origin(&req, None, &[proxy]).unwrap(),
            "https://internal:8080"
        );
        req.extensions
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                [10, 0, 0, 9],
                1,
            ))));
        assert_eq!(
            origin(&req, None, &[proxy]).unwrap(),
            "https://internal:8080"
        );
        req.extensions
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                [10, 0, 0, 2],
                1,
            ))));
        assert_eq!(
            origin(&req, None, &[proxy]).unwrap(),
            "https://app.example.com"
        );
        // A configured public URL wins over everything.
        let public = Url::parse("https://public.example/").unwrap();
        assert_eq!(
            origin(&req, Some(&public), &[proxy]).unwrap(),
            "https://public.example"
        );
    }

    #[test]
    fn hostile_hosts_are_refused() {
        assert!(redir_url(&parts("evil.com/path"), "/r").is_err());
        assert!(redir_url(&parts("user@evil.com"), "/r").is_err());
        assert!(redir_url(&parts("a b"), "/r").is_err());
    }
}
