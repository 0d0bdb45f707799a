//! The beforeware: public paths pass, anonymous requests go to the login page, logged-in ones
//! run `check_invalid` and carry their identity to the handlers.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use crate::flow::AUTH_KEY;
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
    req.extensions_mut().insert(Ident(ident));
    next.run(req).await
}

/// 303 to the login page; HTMX requests get `HX-Redirect` so the whole page navigates.
fn to_login(core: &Core, req: &Request) -> Response {
    if req.headers().contains_key("hx-request") {
        return ([("hx-redirect", core.config.login)], "").into_response();
    }
    Redirect::to(core.config.login).into_response()
}
