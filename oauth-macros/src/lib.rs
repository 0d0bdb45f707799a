//! The attribute macros of `axum-oauth-login`: `#[oauth]`, `#[get_auth]`, `#[check_invalid]` and
//! `#[logout]`. Use them through `axum_oauth_login` (`use axum_oauth_login::prelude::*;`), which
//! re-exports them; this crate is an implementation detail.
//!
//! Each entry point hands `proc_macro2` tokens to a module that parses them into a typed model,
//! checks it and expands it (`oauth::expand`, `hook::expand`), so all of that is unit-tested
//! outside the compiler. Set `OAUTH_MACROS_DEBUG=1` while building to print every expansion to
//! stderr.
//!
//! The examples below are marked `ignore` because a proc-macro crate cannot use its own macros in
//! doctests; each is compiled by the UI tests (`tests/ui/*/pass/`) and the runtime's doctests.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod errors;
mod hook;
mod oauth;
mod output;
#[cfg(test)]
mod snapshots;

use proc_macro::TokenStream;

use hook::Kind;

/// Makes a struct the app's OAuth login: FastHTML's `class Auth(OAuth)`.
///
/// ```
/// use axum_oauth_login::prelude::*;
///
/// #[oauth(provider = "github", skip = [r"/static/.*"], public = ["/", r"/blog/.*"])]
/// struct Auth;
/// # assert_eq!(<Auth as OAuth>::CONFIG.public, ["/", r"/blog/.*"]);
/// ```
///
/// Then `Auth.install(router, client)` adds the callback and logout routes, the guard (FastHTML's
/// beforeware) and the session layer. A `#[get_auth]` function decides who may log in; optional
/// `#[check_invalid]` and `#[logout]` functions are found automatically.
///
/// # Keys
///
/// | key | default | meaning |
/// |---|---|---|
/// | `provider` | required | `"google"`, `"github"`, `"huggingface"`, `"discord"`, `"gitlab"`, `"auth0"`, `"entra"`, `"apple"`, `"oidc"` or `"dev"` |
/// | `redirect` | `"/redirect"` | the callback path the provider sends the user back to (a route the runtime adds) |
/// | `error` | `"/error"` | where failed logins are sent, with `?code=` (your route) |
/// | `logout` | `"/logout"` | the logout route the runtime adds (GET and POST) |
/// | `login` | `"/login"` | where anonymous requests are sent with a 303 (your route) |
/// | `skip` | `[]` | paths the guard skips, **without a session** (assets): regular expressions that must match the **whole** path |
/// | `public` | `[]` | paths open to everyone **with** the session: `Login` links, `Option<Ident>` for a logged-in visitor |
///
/// Every path must start with `/` and be a fixed path without query, fragment or route
/// parameters. `redirect` and `logout` must differ from each other and from `error` and `login`
/// (`error` and `login` may be the same page). These four paths are always public.
///
/// `skip` follows FastHTML's `Beforeware(skip=[...])`: `"/static"` matches only `/static`, write
/// `r"/static/.*"` for everything under it. A skipped request never touches the session, which
/// makes it as cheap as a route without the guard; a page that needs the session (a landing page
/// with a login link carrying state, a cart) goes in `public` instead. Each pattern is checked at
/// compile time: an invalid regular expression, one that can never match a path, or one in both
/// lists, is an error at its literal.
///
/// The struct may have fields (the hooks receive it as `oauth: &Auth`), but no generic parameters
/// or lifetimes. It must be `Send + Sync + 'static`.
///
/// # Expansion
///
/// The struct is kept as written, and this impl is added (hand-writing it is not supported: the
/// hidden items may change):
///
/// ```ignore
/// #[automatically_derived]
/// impl ::axum_oauth_login::__private_v0_1::OAuth for Auth {
///     const CONFIG: ::axum_oauth_login::__private_v0_1::Config = ::axum_oauth_login::__private_v0_1::Config {
///         provider: "github",
///         redirect: "/redirect",
///         error: "/error",
///         logout: "/logout",
///         login: "/login",
///         skip: &[r"/static/.*"],
///         public: &["/", r"/blog/.*"],
///     };
///     // Finds the optional `#[check_invalid]` and `#[logout]` functions of this struct, if any:
///     // the `Has*` traits apply when the struct implements the hook's trait, else `No*`.
///     fn hooks() -> ::axum_oauth_login::__private_v0_1::Hooks<Self> {
///         #[allow(unused_imports)]
///         use ::axum_oauth_login::__private_v0_1::{
///             HasCheckInvalid as _, HasLogout as _, NoCheckInvalid as _, NoLogout as _,
///         };
///         ::axum_oauth_login::__private_v0_1::Hooks {
///             check_invalid: (&&::axum_oauth_login::__private_v0_1::Probe::<Self>::NEW).check_invalid_hook(),
///             logout: (&&::axum_oauth_login::__private_v0_1::Probe::<Self>::NEW).logout_hook(),
///         }
///     }
/// }
/// ```
#[proc_macro_attribute]
pub fn oauth(args: TokenStream, item: TokenStream) -> TokenStream {
    output::debug("oauth", oauth::expand(args.into(), item.into())).into()
}

/// Marks the function that decides who may log in: FastHTML's `get_auth(self, info, ident,
/// session, state)`.
///
/// The function is called after the provider has vouched for the user. It declares only the
/// parameters it needs, by name, in any order, and may be `async`:
///
/// | parameter | type | |
/// |---|---|---|
/// | `info` | `&UserInfo` or `UserInfo` | what the provider says about the user |
/// | `ident` | `&str` or `String` | the user's ident qualified by the provider, `provider:id` (`github:12345`): the key to store the user's data by, as the `Ident` extractor later |
/// | `session` | `&Session` or `Session` | the user's session |
/// | `state` | `Option<&str>` or `Option<String>` | the payload given to `Login::link_with_state` |
/// | `oauth` | `&Auth` | the `#[oauth]` struct itself |
///
/// It returns `Option<impl IntoResponse>`: `Some(response)` logs the user in and answers with
/// `response`, `None` sends them back to the login page.
///
/// The hook belongs to the struct named by the type of `oauth`, else by the attribute's argument
/// (`#[get_auth(MyAuth)]`), else to the struct named `Auth`. Each struct has exactly one.
///
/// ```
/// use axum::response::Redirect;
/// use axum_oauth_login::prelude::*;
///
/// #[oauth(provider = "google")]
/// struct Auth;
///
/// #[get_auth]
/// fn get_auth(info: &UserInfo) -> Option<Redirect> {
///     (info.email_verified && info.email.as_deref()?.ends_with("@answer.ai")).then(|| Redirect::to("/"))
/// }
/// ```
///
/// # Expansion
///
/// The function is kept as written, and an adapter is added that hands it its arguments. A
/// parameter of the wrong type is reported at that type, a wrong return type at the return type.
///
/// ```ignore
/// #[automatically_derived]
/// impl ::axum_oauth_login::__private_v0_1::GetAuth for Auth {
///     fn get_auth<'a>(
///         &'a self,
///         cx: &'a ::axum_oauth_login::__private_v0_1::AuthContext,
///     ) -> ::axum_oauth_login::__private_v0_1::BoxFuture<'a, ::axum_oauth_login::__private_v0_1::Decision> {
///         ::axum_oauth_login::__private_v0_1::Box::pin(async move {
///             let answer = get_auth(
///                 <&UserInfo as ::axum_oauth_login::__private_v0_1::InfoParam<'_>>::from_ref(&cx.info),
///             );
///             ::axum_oauth_login::__private_v0_1::IntoDecision::into_decision(answer)
///         })
///     }
/// }
/// ```
#[proc_macro_attribute]
pub fn get_auth(args: TokenStream, item: TokenStream) -> TokenStream {
    output::debug(
        "get_auth",
        hook::expand(Kind::GetAuth, args.into(), item.into()),
    )
    .into()
}

/// Marks a function that runs on every guarded request of a logged-in user: FastHTML's
/// `check_invalid`, e.g. to log out users who were banned since they logged in.
///
/// | parameter | type | |
/// |---|---|---|
/// | `req` | `&Parts` (`http::request::Parts`) | the request, without its body |
/// | `session` | `&Session` or `Session` | the user's session |
/// | `auth` | `&str` or `String` | the logged-in user's ident |
/// | `oauth` | `&Auth` | the `#[oauth]` struct itself |
///
/// It returns `bool` (`true` ends the session and sends the user to the login page) or
/// `Option<impl IntoResponse>` (`Some(response)` answers instead of the route). `false` and `None`
/// let the request through. The function may be `async`; the struct is found as for
/// [`macro@get_auth`]. Without such a function every logged-in request goes through.
///
/// ```
/// use std::collections::HashSet;
/// use axum_oauth_login::prelude::*;
///
/// #[oauth(provider = "github")]
/// struct Auth {
///     banned: HashSet<String>,
/// }
///
/// #[check_invalid]
/// fn check_invalid(oauth: &Auth, auth: &str) -> bool {
///     oauth.banned.contains(auth)
/// }
/// ```
///
/// # Expansion
///
/// ```ignore
/// #[automatically_derived]
/// impl ::axum_oauth_login::__private_v0_1::CheckInvalid for Auth {
///     fn check_invalid<'a>(
///         &'a self,
///         cx: &'a ::axum_oauth_login::__private_v0_1::GuardContext<'a>,
///     ) -> ::axum_oauth_login::__private_v0_1::BoxFuture<'a, ::axum_oauth_login::__private_v0_1::Option<
///         ::axum_oauth_login::__private_v0_1::Result<::axum_oauth_login::__private_v0_1::Response, ()>,
///     >> {
///         ::axum_oauth_login::__private_v0_1::Box::pin(async move {
///             let answer = check_invalid(
///                 self,
///                 <&str as ::axum_oauth_login::__private_v0_1::IdentParam<'_>>::from_ref(cx.auth),
///             );
///             ::axum_oauth_login::__private_v0_1::IntoCheck::into_check(answer)
///         })
///     }
/// }
/// ```
#[proc_macro_attribute]
pub fn check_invalid(args: TokenStream, item: TokenStream) -> TokenStream {
    output::debug(
        "check_invalid",
        hook::expand(Kind::CheckInvalid, args.into(), item.into()),
    )
    .into()
}

/// Marks the function that answers the logout route, after the identity and tokens have left the
/// session. Without one, logging out redirects to the login page.
///
/// | parameter | type | |
/// |---|---|---|
/// | `session` | `&Session` or `Session` | the session, already without identity and tokens |
/// | `auth` | `Option<&str>` or `Option<String>` | who logged out, if anyone was logged in |
/// | `oauth` | `&Auth` | the `#[oauth]` struct itself |
///
/// It returns any `impl IntoResponse`. The function may be `async`; the struct is found as for
/// [`macro@get_auth`].
///
/// ```
/// # use axum::response::Redirect;
/// # use axum_oauth_login::prelude::*;
/// # #[oauth(provider = "github")]
/// # struct Auth;
/// #[logout]
/// async fn logout(auth: Option<&str>) -> Redirect {
///     tracing::info!(?auth, "logged out");
///     Redirect::to("/goodbye")
/// }
/// ```
///
/// # Expansion
///
/// ```ignore
/// #[automatically_derived]
/// impl ::axum_oauth_login::__private_v0_1::Logout for Auth {
///     fn logout<'a>(
///         &'a self,
///         cx: &'a ::axum_oauth_login::__private_v0_1::LogoutContext,
///     ) -> ::axum_oauth_login::__private_v0_1::BoxFuture<'a, ::axum_oauth_login::__private_v0_1::Response> {
///         ::axum_oauth_login::__private_v0_1::Box::pin(async move {
///             let answer = logout(
///                 <Option<&str> as ::axum_oauth_login::__private_v0_1::OptionalIdentParam<'_>>::from_ref(
///                     cx.auth.as_deref(),
///                 ),
///             )
///             .await;
///             ::axum_oauth_login::__private_v0_1::IntoResponse::into_response(answer)
///         })
///     }
/// }
/// ```
#[proc_macro_attribute]
pub fn logout(args: TokenStream, item: TokenStream) -> TokenStream {
    output::debug(
        "logout",
        hook::expand(Kind::Logout, args.into(), item.into()),
    )
    .into()
}
