//! Writing your own callback and guard, without the macros: FastHTML's "from scratch" walkthrough.
//!
//! `#[oauth]` and [`install`](crate::OAuth::install) do all of this for you; this module is for
//! apps that need the steps in their own hands. The pending login (its `state`, PKCE verifier and
//! nonce) still lives in the user's session, so the checks FastHTML lacks stay on here too.
//!
//! | FastHTML | here |
//! |---|---|
//! | `redir_url(req, path)` | [`redir_url`]`(&parts, path)` |
//! | `client.login_link(redirect_uri, state=...)` | [`Client::login_link`]`(&session, &redirect_uri, state)` |
//! | `client.retr_info(code, redirect_uri)` | [`Client::retr_info`]`(&session, query)` → [`Retrieved`] |
//! | `client.retr_id(code, redirect_uri)` | [`Client::retr_id`]`(&session, query)` |
//! | `session['auth'] = ...` | `session.insert(`[`AUTH_KEY`]`, ident)` |
//! | a `next` parameter you redirect to | check it with [`is_safe_next`] first |
//! | `client.revoke(...)` / refresh | [`Client::revoke`], [`Client::refresh`] with the [`Tokens`] of [`Retrieved`] |
//!
//! Where it differs from `#[oauth]`: your guard decides who is logged in (the session value under
//! [`AUTH_KEY`] is what [`Ident`](crate::Ident) and `#[oauth]`'s guard read, if you mix them);
//! [`Client::retr_id`] gives the provider's own id, not the `provider:id` form the macros store;
//! tokens are yours to keep (the macros keep them per session); and a session that held a pending
//! login keeps your session layer's expiry.
//!
//! ```
//! use axum::extract::RawQuery;
//! use axum::http::request::Parts;
//! use axum::response::{Html, Redirect};
//! use axum::Extension;
//! use axum_oauth_login::manual::{AUTH_KEY, redir_url};
//! use axum_oauth_login::{Client, Error, Session};
//!
//! async fn login(Extension(client): Extension<Client>, session: Session, req: Parts) -> Result<Html<String>, Error> {
//!     let redirect_uri = redir_url(&req, "/auth_redirect")?;
//!     let link = client.login_link(&session, &redirect_uri, None).await?;
//!     Ok(Html(format!(r#"<a href="{}">Log in</a>"#, html_escape::encode_double_quoted_attribute(&link))))
//! }
//!
//! async fn auth_redirect(Extension(client): Extension<Client>, session: Session, RawQuery(query): RawQuery) -> Result<Redirect, Error> {
//!     let retrieved = client.retr_info(&session, query.as_deref().unwrap_or("")).await?;
//!     session.cycle_id().await?; // a new session id at login
//!     session.insert(AUTH_KEY, &retrieved.info.ident).await?;
//!     Ok(Redirect::to("/"))
//! }
//! ```
//!
//! `examples/from_scratch.rs` is the whole walkthrough, with a hand-written guard.

pub use crate::flow::{Retrieved, is_safe_next};
pub use crate::schema::AUTH_KEY;
pub use crate::url::redir_url;
#[cfg(doc)]
use crate::{Client, Tokens};
