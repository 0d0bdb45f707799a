//! The library's own routes: the callback, the logout, and the page at the error path for apps
//! without one.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tower_sessions::Session;
use url::Url;

use crate::audit::{AuditEvent, LogoutKind};
use crate::flow::{self, CallbackParams};
use crate::hooks::{GetAuth, LogoutContext};
use crate::schema::{AUTH_KEY, Handle};
use crate::state::{Core, Shared};
use crate::{Error, OAuth, vault};

/// The library's routes: each provider's callback (`GET`, and `POST` for a `form_post`
/// response) and the logout (`GET` and `POST`).
pub(crate) fn library<A: GetAuth>(shared: Arc<Shared<A>>) -> Router {
    let mut routes = Router::new();
    for (index, provider) in shared.core.providers.iter().enumerate() {
        let path = provider.callback.clone();
        routes = routes.route(
            &provider.callback,
            get(
                move |State(shared): State<Arc<Shared<A>>>, session, RawQuery(query)| {
                    let params = CallbackParams::parse(query.as_deref().unwrap_or(""));
                    callback(shared, index, session, params)
                },
            )
            .post(
                move |State(shared): State<Arc<Shared<A>>>, session: Session, body: Bytes| {
                    form_post(shared, index, path, session, body)
                },
            ),
        );
    }
    if let Some(backchannel) = &shared.core.backchannel {
        let core = shared.core.clone();
        routes = routes.route(
            backchannel.path,
            post(move |body: Bytes| crate::backchannel::endpoint(core, body)),
        );
    }
    let logout_path = shared.core.config.logout;
    routes
        .route(logout_path, get(logout::<A>).post(logout::<A>))
        .with_state(shared)
}

/// The library's page at the error path, for apps without a route there: what happened (the
/// `?code=` the callback sent, escaped) and a link back to the login page. Status 200: the page
/// is the end of a normal journey (a "Cancel" at the provider), not a broken request.
pub(crate) fn error_page(core: &Core, query: Option<&str>) -> Response {
    let param = |name: &str| {
        query.and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.into_owned())
        })
    };
    let code: String = param("code").unwrap_or_default().chars().take(64).collect();
    // "Try again" goes back to the login page for the page the login was for, when it is safe.
    let next = param("next");
    let again = crate::flow::with_next(core.config.login, next.as_deref());
    let what = if code == "access_denied" {
        "The login was cancelled."
    } else {
        "The login did not succeed."
    };
    let page = format!(
        "<!doctype html><meta charset=utf-8><title>Login error</title><h1>Login error</h1><p>{what}</p><p>Error code: <code>{}</code></p><p><a href=\"{}\">Try again</a></p>",
        html_escape::encode_text(&code),
        html_escape::encode_double_quoted_attribute(&again),
    );
    (
        [(http::header::CACHE_CONTROL, "no-store")],
        axum::response::Html(page),
    )
        .into_response()
}

async fn callback<A: GetAuth>(
    shared: Arc<Shared<A>>,
    index: usize,
    session: Session,
    params: CallbackParams,
) -> Response {
    let client = shared.core.providers[index].client.clone();
    flow::callback(shared, &client, session, params).await
}

/// The field the `form_post` relay page adds to the fields it posts again.
const RELAYED: &str = "oauth_relayed";

/// `response_mode=form_post` (Sign in with Apple): the provider posts the answer from its own
/// site, and a `SameSite=Lax` session cookie is not sent with a cross-site POST. Without the
/// cookie, the browser gets a page that posts the same fields again from this site, which carries
/// it. (A redirect to the GET callback would put them, Apple's `user` with the name and email
/// included, in the URL, and so in access logs and the browser's history.)
async fn form_post<A: GetAuth>(
    shared: Arc<Shared<A>>,
    index: usize,
    path: String,
    session: Session,
    body: Bytes,
) -> Response {
    let params = CallbackParams::parse(&String::from_utf8_lossy(&body));
    let relayed = url::form_urlencoded::parse(&body).any(|(name, _)| name == RELAYED);
    // A second relay would not bring the cookie either: the callback reports what is missing.
    if relayed || session.id().is_some() {
        return callback(shared, index, session, params).await;
    }
    crate::autopost::page(&path, params.fields().chain([(RELAYED, "1")]))
}

async fn logout<A: OAuth>(
    State(shared): State<Arc<Shared<A>>>,
    session: Session,
    parts: http::request::Parts,
) -> Response {
    let core = &shared.core;
    // The provider's logout page sends the browser back here (RP-initiated logout's
    // `post_logout_redirect_uri`) with the `state` it was given.
    if parts.method == http::Method::GET {
        let state = query_state(&parts);
        match flow::finish_provider_logout(&session, state.as_deref()).await {
            Ok(Some(pending)) => return logged_out(&shared, session, pending.auth).await,
            Ok(None) if state.is_none() => {}
            Ok(None) | Err(Error::LogoutStateMismatch) => {
                tracing::warn!(
                    code = "logout_state_mismatch",
                    "the return from the provider's logout does not match a logout started here"
                );
                let code = Error::LogoutStateMismatch.code();
                return Redirect::to(&format!("{}?code={code}", core.config.error)).into_response();
            }
            Err(_) => return Error::SessionStore.into_response(),
        }
    }
    let sure = match from_this_site(core, &parts) {
        Some(same) => same,
        // No browser says nothing about where a request comes from: a POST without any of these
        // headers is not a cross-site form (browsers send `Origin` with every POST), a GET may
        // be a link whose referrer was suppressed.
        None => parts.method == http::Method::POST,
    };
    if !sure {
        return confirm_logout(core, &parts.method);
    }
    let auth: Option<String> = match session.get(AUTH_KEY).await {
        Ok(auth) => auth,
        Err(_) => return Error::SessionStore.into_response(),
    };
    // The tokens are read only when the logout needs them.
    let tokens = if core.revoke_on_logout || core.provider_logout {
        vault::get(core, &session).await.ok()
    } else {
        None
    };
    if core.revoke_on_logout
        && let Some((handle, tokens)) = &tokens
    {
        match vault::client(core, handle) {
            Ok(client) => client.revoke(tokens).await,
            Err(error) => Err(error),
        }
        .map_or_else(
            |error| tracing::warn!(code = error.code(), "token revocation at logout failed"),
            |()| {
                core.audit.record(AuditEvent::Revoked {
                    provider: handle.provider.clone(),
                });
            },
        );
    }
    // Deleting the record server-side means a copied cookie stops working too.
    if flow::end_session(core, &session).await.is_err() {
        return Error::SessionStore.into_response();
    }
    let to_provider = if core.provider_logout
        && let Some((handle, tokens)) = &tokens
    {
        provider_logout_url(core, &parts, handle, tokens)
    } else {
        None
    };
    if auth.is_some() {
        core.audit.record(AuditEvent::Logout {
            kind: if to_provider.is_some() {
                LogoutKind::Provider
            } else {
                LogoutKind::Local
            },
            ident: auth.clone(),
        });
    }
    if let Some(mut url) = to_provider {
        // The `#[logout]` hook runs when the provider sends the browser back.
        let Ok(state) = flow::start_provider_logout(&session, auth).await else {
            return Error::SessionStore.into_response();
        };
        url.query_pairs_mut().append_pair("state", &state);
        return Redirect::to(url.as_str()).into_response();
    }
    logged_out(&shared, session, auth).await
}

/// The answer once the user is logged out (here, and at the provider when it was asked): the
/// `#[logout]` hook's, or the login page.
async fn logged_out<A: OAuth>(
    shared: &Shared<A>,
    session: Session,
    auth: Option<String>,
) -> Response {
    match shared.hooks.logout {
        Some(hook) => hook(&shared.auth, &LogoutContext { session, auth }).await,
        None => Redirect::to(shared.core.config.login).into_response(),
    }
}

/// The `state` query parameter, if there is one.
fn query_state(parts: &http::request::Parts) -> Option<String> {
    url::form_urlencoded::parse(parts.uri.query()?.as_bytes())
        .find(|(name, _)| name == "state")
        .map(|(_, value)| value.into_owned())
}

/// Whether a request comes from a page of this site: `Sec-Fetch-Site` when the browser sends it
/// (only `same-origin` is), else the origin of `Origin`, else that of `Referer`, compared with the
/// public URL's (or, without one, with the request's own host). `None` when the request carries
/// none of the three.
fn from_this_site(core: &Core, parts: &http::request::Parts) -> Option<bool> {
    let headers = &parts.headers;
    if let Some(site) = headers.get("sec-fetch-site") {
        return Some(site == "same-origin");
    }
    let claimed = headers
        .get(http::header::ORIGIN)
        .or_else(|| headers.get(http::header::REFERER))?;
    let Some(claimed) = claimed.to_str().ok().and_then(|v| Url::parse(v).ok()) else {
        return Some(false);
    };
    let claimed = claimed.origin().ascii_serialization();
    Some(match &core.public_url {
        Some(public) => claimed == public.origin().ascii_serialization(),
        // Without a public URL the scheme is a guess (see `url::request_origin`): the host decides.
        None => crate::url::origin(parts, None, &core.trusted_proxies).is_ok_and(|own| {
            own.split_once("://").map(|(_, host)| host)
                == claimed.split_once("://").map(|(_, host)| host)
        }),
    })
}

/// The page a logout request answers when it may come from another site (a link or a form
/// elsewhere, an image): a button whose `POST` is the logout. `200` for a `GET`, `403` for a
/// refused `POST`; never framed, so that no other site can make the button a click target.
fn confirm_logout(core: &Core, method: &http::Method) -> Response {
    let status = if method == http::Method::GET {
        http::StatusCode::OK
    } else {
        http::StatusCode::FORBIDDEN
    };
    let page = format!(
        "<!doctype html><meta charset=utf-8><title>Log out</title><h1>Log out?</h1><form method=\"post\" action=\"{}\"><button type=\"submit\">Log out</button></form><p><a href=\"/\">Stay logged in</a></p>",
        html_escape::encode_double_quoted_attribute(core.config.logout),
    );
    (
        status,
        [
            (http::header::CACHE_CONTROL, "no-store"),
            (http::header::X_FRAME_OPTIONS, "DENY"),
            (
                http::header::CONTENT_SECURITY_POLICY,
                "frame-ancestors 'none'",
            ),
        ],
        axum::response::Html(page),
    )
        .into_response()
}

/// The provider's end-session URL for this logout, if it has one and the session had an ID token;
/// the browser comes back to the logout path (with the `state` the caller adds).
fn provider_logout_url(
    core: &Core,
    parts: &http::request::Parts,
    handle: &Handle,
    tokens: &crate::Tokens,
) -> Option<Url> {
    let client = vault::client(core, handle).ok()?;
    let mut url = client.provider().end_session_url.clone()?;
    let id_token = tokens.id_token()?;
    let origin = crate::url::origin(parts, core.public_url.as_ref(), &core.trusted_proxies).ok()?;
    url.query_pairs_mut()
        .append_pair("id_token_hint", id_token)
        .append_pair("client_id", client.client_id())
        .append_pair(
            "post_logout_redirect_uri",
            &format!("{origin}{}", core.config.logout),
        );
    Some(url)
}
