//! The beforeware: public paths pass, anonymous requests go to the login page, logged-in ones
//! run `check_invalid` and carry their identity to the handlers.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use crate::flow::{AUTH_KEY, SEEN_KEY};
use crate::hooks::GuardContext;
use crate::install::{Core, Shared};
use crate::{Error, Ident, OAuth};

pub(crate) async fn guard<A: OAuth>(
    State(shared): State<Arc<Shared<A>>>,
    mut req: Request,
    next: Next,
) -> Response {
    let core = &shared.core;
    // Lets the `Login` extractor make links on any page, public ones included.
    req.extensions_mut().insert(core.clone());
    if core.public.matches(req.uri().path()) {
        return next.run(req).await;
    }
    let Some(session) = req.extensions().get::<Session>().cloned() else {
        tracing::error!("no session layer around the OAuth guard");
        return Error::Config("the session layer is missing".into()).into_response();
    };
    let ident = match session.get::<String>(AUTH_KEY).await {
        Ok(Some(ident)) => ident,
        Ok(None) => return to_login(core, &req),
        // Fail closed: a store that cannot answer never lets a request through.
        Err(_) => return Error::SessionStore.into_response(),
    };
    if let Some(check) = shared.hooks.check_invalid {
        let (parts, body) = req.into_parts();
        let verdict = {
            let cx = GuardContext {
                req: &parts,
                session: &session,
                auth: &ident,
            };
            check(&shared.auth, &cx).await
        };
        req = Request::from_parts(parts, body);
        match verdict {
            None => {}
            Some(Ok(response)) => return response,
            Some(Err(())) => {
                if session.flush().await.is_err() {
                    return Error::SessionStore.into_response();
                }
                return to_login(core, &req);
            }
        }
    }
    if let Err(response) = slide_expiry(core, &session).await {
        return *response;
    }
    req.extensions_mut().insert(Ident(ident));
    next.run(req).await
}

/// tower-sessions saves (and so extends) a session only when it changed: an active user would be
/// logged out `window` after login. Touching a timestamp once a quarter of the window keeps the
/// session alive at the cost of one write per quarter window, not one per request.
async fn slide_expiry(core: &Core, session: &Session) -> Result<(), Box<Response>> {
    let Some(window) = core.inactivity else {
        return Ok(());
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let seen: Option<i64> = session
        .get(SEEN_KEY)
        .await
        .map_err(|_| Box::new(Error::SessionStore.into_response()))?;
    if seen.is_none_or(|at| now - at >= window.whole_seconds() / 4) {
        session
            .insert(SEEN_KEY, now)
            .await
            .map_err(|_| Box::new(Error::SessionStore.into_response()))?;
    }
    Ok(())
}

/// 303 to the login page; HTMX requests get `HX-Redirect` so the whole page navigates.
fn to_login(core: &Core, req: &Request) -> Response {
    if req.headers().contains_key("hx-request") {
        return ([("hx-redirect", core.config.login)], "").into_response();
    }
    Redirect::to(core.config.login).into_response()
}
