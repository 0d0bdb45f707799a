//! The provider's HTML pages. Everything that came with a request is escaped.

use axum::response::{Html, IntoResponse, Response};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use http::{StatusCode, header};

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#222}\
.banner{background:#b00020;color:#fff;padding:.75rem 1rem;border-radius:.4rem;font-weight:700}\
.problem{color:#b00020}input[type=text]{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}\
button{padding:.5rem 1rem;font-size:1rem;margin:.75rem .5rem 0 0}code{word-break:break-all}";

const BANNER: &str = "<p class=\"banner\" role=\"alert\">⚠ Development provider: never use in production. \
Anyone can log in as anyone here.</p>";

/// A whole page, with headers that keep it out of caches, frames and `Referer`s.
fn document(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{title}</title>\
<style>{STYLE}</style><body>{BANNER}{body}</body></html>"
    );
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            ),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(html),
    )
        .into_response()
}

/// The login form. `hidden` carries the authorization request to the `POST`.
pub(super) fn login(
    status: StatusCode,
    client_id: &str,
    redirect_uri: &str,
    hidden: &[(&str, &str)],
    problem: Option<&str>,
) -> Response {
    let hidden: String = hidden
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                attr(name),
                attr(value)
            )
        })
        .collect();
    let problem = problem
        .map(|p| format!("<p class=\"problem\">{}</p>", text(p)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Log in to the development provider</h1>\
<p>The app <code>{client}</code> asks who you are. You will be sent back to <code>{redirect}</code>.</p>\
{problem}<form method=\"post\" action=\"authorize\">{hidden}\
<label for=\"login\">Any name or email address</label>\
<input type=\"text\" id=\"login\" name=\"login\" required autofocus maxlength=\"254\" placeholder=\"ada or ada@example.org\">\
<button type=\"submit\" name=\"action\" value=\"login\">Log in</button>\
<button type=\"submit\" name=\"action\" value=\"cancel\" formnovalidate>Cancel</button></form>",
        client = text(client_id),
        redirect = text(redirect_uri),
    );
    document(status, "Development login", &body)
}

/// An error shown to the user instead of a redirect (the redirect target cannot be trusted).
pub(super) fn error(message: &str) -> Response {
    let body = format!(
        "<h1>Invalid authorization request</h1><p class=\"problem\">{}</p>\
<p>The app sent a request the development provider cannot answer; nothing was sent back to it.</p>",
        text(message)
    );
    document(StatusCode::BAD_REQUEST, "Invalid request", &body)
}

/// The end of an RP-initiated logout without a trusted place to go back to.
pub(super) fn logged_out(continue_to: Option<&str>) -> Response {
    let link = continue_to
        .map(|to| {
            format!(
                "<p><a href=\"{}\">Continue to {}</a></p>",
                attr(to),
                text(to)
            )
        })
        .unwrap_or_default();
    document(
        StatusCode::OK,
        "Logged out",
        &format!("<h1>Logged out</h1><p>You are logged out.</p>{link}"),
    )
}
