//! A page that posts fields to a URL by itself: `response_mode=form_post` as a provider answers
//! it (the development provider), and the callback's relay of such an answer.
//!
//! The fields travel in a form body, never in a URL. A script submits the form as soon as it is
//! parsed; where it cannot run (no JavaScript, or an app's own `Content-Security-Policy` put over
//! this one) the form's button is there to press. The page may run that script only (its hash is
//! the whole `script-src`), is never cached, and sends no `Referer`.

use std::sync::LazyLock;

use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use html_escape::encode_double_quoted_attribute as attr;
use http::header;
use sha2::Digest as _;

/// The page's only script.
const SCRIPT: &str = "document.forms[0].submit()";

/// The page's `Content-Security-Policy`, with the script's hash.
static POLICY: LazyLock<String> = LazyLock::new(|| {
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(SCRIPT));
    format!(
        "default-src 'none'; script-src 'sha256-{hash}'; base-uri 'none'; frame-ancestors 'none'"
    )
});

/// A `200` page that posts `fields` to `action` (a URL or a path), escaped.
pub(crate) fn page<N: AsRef<str>, V: AsRef<str>>(
    action: &str,
    fields: impl IntoIterator<Item = (N, V)>,
) -> Response {
    let inputs: String = fields
        .into_iter()
        .map(|(name, value)| {
            format!(
                "<input type=hidden name=\"{}\" value=\"{}\">",
                attr(name.as_ref()),
                attr(value.as_ref())
            )
        })
        .collect();
    let html = format!(
        "<!doctype html><meta charset=utf-8><title>Signing in</title>\
<form method=post action=\"{}\">{inputs}<button>Continue</button></form>\
<script>{SCRIPT}</script>",
        attr(action)
    );
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CONTENT_SECURITY_POLICY, POLICY.as_str()),
        ],
        Html(html),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fields_are_escaped_and_the_policy_allows_the_script_only() {
        let response = page("/cb?x=\"1\"", [("user", r#"{"name":"<b>&"}"#)]);
        let policy = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(body.contains("action=\"/cb?x=&quot;1&quot;\""), "{body}");
        assert!(
            body.contains("value=\"{&quot;name&quot;:&quot;&lt;b&gt;&amp;&quot;}\""),
            "{body}"
        );
        // The hash of the script as it appears on the page.
        let script = body
            .split("<script>")
            .nth(1)
            .and_then(|s| s.split("</script>").next())
            .unwrap();
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script));
        assert!(
            policy.contains(&format!("script-src 'sha256-{hash}'")),
            "{policy}"
        );
    }
}
