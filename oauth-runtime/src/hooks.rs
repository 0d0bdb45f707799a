//! What a hook function may take and return, and the traits the hook attributes implement.
//!
//! A compile error about a hook names one of these: "the `info` parameter cannot have type
//! `String`" is a missing [`InfoParam`], "`#[logout]` must return a response" a missing
//! [`IntoLogoutResponse`], "`Auth` has no `#[get_auth]` function" a missing [`GetAuth`]. The
//! macros implement [`GetAuth`], [`CheckInvalid`] and [`Logout`] for the auth struct; users do
//! not implement them by hand, but may read them (and the contexts they receive) to know what a
//! hook gets.

use std::future::Future;
use std::pin::Pin;

use axum::response::{IntoResponse, Response};
use http::request::Parts;
use tower_sessions::Session;

use crate::UserInfo;

/// A boxed, `Send` future, as returned by the hook adapters.
///
/// ```
/// use axum_oauth_login::hooks::BoxFuture;
/// let answer: BoxFuture<'static, u8> = Box::pin(async { 42 });
/// # drop(answer);
/// ```
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The paths and patterns of an `#[oauth]` struct, validated at compile time.
///
/// ```
/// use axum_oauth_login::hooks::Config;
/// let config = Config { provider: "github", ..Config::DEFAULT };
/// assert_eq!(config.redirect, "/redirect");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// The provider key (`"github"`, `"google"`, ...): which client `client_from_env` builds.
    pub provider: &'static str,
    /// The callback path the provider redirects back to (default `/redirect`).
    pub redirect: &'static str,
    /// Where failed logins are sent, with `?code=` (default `/error`). When the app has no route
    /// there, the library answers with a plain page: the code and a link to the login page.
    pub error: &'static str,
    /// The logout route the runtime adds (default `/logout`). A `GET` logs out only from the
    /// app's own pages (same-origin); another site's link gets a confirmation page.
    pub logout: &'static str,
    /// Where anonymous page requests are sent with a 303 (default `/login`), a `GET` with its
    /// path and query as `?next=`; requests that are not page navigations get a `401` in JSON.
    pub login: &'static str,
    /// Paths the guard skips, without a session (assets): regular expressions that must match
    /// the whole path, as in FastHTML's `Beforeware(skip=...)`.
    pub skip: &'static [&'static str],
    /// Paths open to everyone, with the session and, for a logged-in user, their `Ident`.
    pub public: &'static [&'static str],
}

impl Config {
    /// FastHTML's defaults: `/redirect`, `/error`, `/logout`, `/login`, nothing skipped.
    ///
    /// ```
    /// use axum_oauth_login::hooks::Config;
    /// assert_eq!(Config::DEFAULT.login, "/login");
    /// assert!(Config::DEFAULT.skip.is_empty() && Config::DEFAULT.public.is_empty());
    /// ```
    pub const DEFAULT: Self = Self {
        provider: "dev",
        redirect: "/redirect",
        error: "/error",
        logout: "/logout",
        login: "/login",
        skip: &[],
        public: &[],
    };
}

/// What `get_auth` decided.
///
/// ```
/// use axum_oauth_login::hooks::{Decision, IntoDecision};
/// use axum::response::Redirect;
/// assert!(matches!(Some(Redirect::to("/")).into_decision(), Decision::Allow(_)));
/// assert!(matches!(None::<Redirect>.into_decision(), Decision::Deny));
/// ```
#[derive(Debug)]
pub enum Decision {
    /// Log the user in and answer with this response.
    Allow(Response),
    /// Back to the login page, as when FastHTML's `get_auth` returns nothing.
    Deny,
}

/// Return types a `#[get_auth]` function may have.
///
/// ```
/// use axum::response::Redirect;
/// use axum_oauth_login::hooks::{Decision, IntoDecision};
/// // `Some(response)` logs the user in and answers with `response`.
/// assert!(matches!(Some(Redirect::to("/home")).into_decision(), Decision::Allow(_)));
/// ```
#[diagnostic::on_unimplemented(
    message = "`#[get_auth]` must return `Option<impl IntoResponse>` (`Some` logs the user in, `None` denies), not `{Self}`",
    label = "this return type cannot mean allow or deny"
)]
pub trait IntoDecision {
    /// Converts the hook's answer.
    fn into_decision(self) -> Decision;
}

impl<R: IntoResponse> IntoDecision for Option<R> {
    fn into_decision(self) -> Decision {
        match self {
            Some(response) => Decision::Allow(response.into_response()),
            None => Decision::Deny,
        }
    }
}

impl IntoDecision for Decision {
    fn into_decision(self) -> Decision {
        self
    }
}

/// Return types a `#[check_invalid]` function may have: `None`/`false` lets the request through.
///
/// ```
/// use axum::http::StatusCode;
/// use axum_oauth_login::hooks::IntoCheck;
/// assert!(false.into_check().is_none()); // through
/// assert!(matches!(true.into_check(), Some(Err(())))); // log out
/// assert!(matches!(Some(StatusCode::FORBIDDEN).into_check(), Some(Ok(_)))); // answer instead
/// ```
#[diagnostic::on_unimplemented(
    message = "`#[check_invalid]` must return `bool` or `Option<impl IntoResponse>`, not `{Self}`",
    label = "`false`/`None` lets the request through"
)]
pub trait IntoCheck {
    /// `None`: the request goes on. `Some(Ok(response))`: answer with it. `Some(Err(()))`: end the
    /// session and send the user to the login page.
    fn into_check(self) -> Option<Result<Response, ()>>;
}

impl IntoCheck for bool {
    fn into_check(self) -> Option<Result<Response, ()>> {
        self.then_some(Err(()))
    }
}

impl<R: IntoResponse> IntoCheck for Option<R> {
    fn into_check(self) -> Option<Result<Response, ()>> {
        self.map(|r| Ok(r.into_response()))
    }
}

/// Return types a `#[logout]` function may have: any response (`Redirect`, `Html<String>`,
/// `impl IntoResponse`).
///
/// ```
/// use axum::response::Redirect;
/// use axum_oauth_login::hooks::IntoLogoutResponse;
/// let response = Redirect::to("/goodbye").into_logout_response();
/// assert_eq!(response.status(), 303);
/// ```
#[diagnostic::on_unimplemented(
    message = "`#[logout]` must return a response, e.g. `Redirect` or `Html<String>`, not `{Self}`",
    label = "not a response: return the page or redirect to send after logging out",
    note = "any type that implements axum's `IntoResponse` works; `Option` does not (a logout always answers)"
)]
pub trait IntoLogoutResponse {
    /// Converts the hook's answer.
    fn into_logout_response(self) -> Response;
}

// Not recommended: an unsuitable type is reported with this trait's message, not as a missing
// `IntoResponse`.
#[diagnostic::do_not_recommend]
impl<R: IntoResponse> IntoLogoutResponse for R {
    fn into_logout_response(self) -> Response {
        self.into_response()
    }
}

/// Everything `get_auth` may ask for: each parameter of a `#[get_auth]` function is one field.
///
/// ```
/// use axum_oauth_login::hooks::AuthContext;
/// fn who(cx: &AuthContext) -> &str {
///     &cx.ident // `provider:id`
/// }
/// ```
#[derive(Debug)]
pub struct AuthContext {
    /// What the provider says about the user.
    pub info: UserInfo,
    /// The user's ident, qualified by the provider: `provider:id` (`github:12345`; `info.ident`
    /// is the `id` half). The key the app stores the user's data by, the same string as
    /// [`Ident`](crate::Ident) later.
    pub ident: String,
    /// The user's session.
    pub session: Session,
    /// The state payload given to `login_link`, if any.
    pub state: Option<String>,
}

/// Everything `check_invalid` may ask for: each parameter of a `#[check_invalid]` function is one
/// field.
///
/// ```
/// use axum_oauth_login::hooks::GuardContext;
/// fn path<'a>(cx: &GuardContext<'a>) -> &'a str {
///     cx.req.uri.path()
/// }
/// ```
#[derive(Debug)]
pub struct GuardContext<'a> {
    /// The request (without its body).
    pub req: &'a Parts,
    /// The user's session.
    pub session: &'a Session,
    /// The logged-in user's ident (FastHTML's `auth`).
    pub auth: &'a str,
}

/// Everything the `logout` hook may ask for: each parameter of a `#[logout]` function is one
/// field.
///
/// ```
/// use axum_oauth_login::hooks::LogoutContext;
/// fn who(cx: &LogoutContext) -> Option<&str> {
///     cx.auth.as_deref()
/// }
/// ```
#[derive(Debug)]
pub struct LogoutContext {
    /// The session, already without identity and tokens.
    pub session: Session,
    /// The ident of the user who logged out, if one was logged in.
    pub auth: Option<String>,
}

/// Implemented by `#[get_auth]` for the auth struct: installing needs it.
///
/// ```
/// use axum::response::Redirect;
/// use axum_oauth_login::{UserInfo, get_auth, hooks::GetAuth, oauth};
///
/// #[oauth(provider = "github")]
/// struct Auth;
///
/// #[get_auth]
/// fn get_auth(info: &UserInfo) -> Option<Redirect> {
///     info.email_verified.then(|| Redirect::to("/"))
/// }
///
/// fn installable<A: GetAuth>(_: &A) {}
/// installable(&Auth);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no `#[get_auth]` function",
    label = "add a function with `#[get_auth]` that decides who may log in",
    note = "for example: `#[get_auth] fn get_auth(info: &UserInfo) -> Option<Redirect> {{ info.email_verified.then(|| Redirect::to(\"/\")) }}`"
)]
pub trait GetAuth: crate::OAuth {
    /// Calls the user's function with the arguments it names.
    fn get_auth<'a>(&'a self, cx: &'a AuthContext) -> BoxFuture<'a, Decision>;
}

/// Implemented by `#[check_invalid]` for the auth struct.
///
/// ```
/// use axum_oauth_login::{check_invalid, hooks::CheckInvalid, oauth};
///
/// #[oauth(provider = "github")]
/// struct Auth;
///
/// #[check_invalid]
/// fn check_invalid(auth: &str) -> bool {
///     auth == "banned"
/// }
///
/// fn has_check<A: CheckInvalid>(_: &A) {}
/// has_check(&Auth);
/// ```
pub trait CheckInvalid: crate::OAuth {
    /// Calls the user's function with the arguments it names.
    fn check_invalid<'a>(
        &'a self,
        cx: &'a GuardContext<'a>,
    ) -> BoxFuture<'a, Option<Result<Response, ()>>>;
}

/// Implemented by `#[logout]` for the auth struct.
///
/// ```
/// use axum::response::Redirect;
/// use axum_oauth_login::{hooks::Logout, logout, oauth};
///
/// #[oauth(provider = "github")]
/// struct Auth;
///
/// #[logout]
/// fn logout() -> Redirect {
///     Redirect::to("/goodbye")
/// }
///
/// fn has_logout<A: Logout>(_: &A) {}
/// has_logout(&Auth);
/// ```
pub trait Logout: crate::OAuth {
    /// Calls the user's function with the arguments it names.
    fn logout<'a>(&'a self, cx: &'a LogoutContext) -> BoxFuture<'a, Response>;
}

macro_rules! param_trait {
    ($(#[$doc:meta])* $name:ident, $message:literal, $source:ty, $label:literal, {$($target:ty => |$v:ident| $conv:expr),* $(,)?}, $(#[$example:meta])*) => {
        $(#[$doc])*
        $(#[$example])*
        #[diagnostic::on_unimplemented(message = $message, label = $label)]
        pub trait $name<'a>: Sized {
            /// Converts the runtime's value to the parameter's type.
            fn from_ref(value: $source) -> Self;
        }
        // Not listed under "the following other types implement": the label already names them.
        $(#[diagnostic::do_not_recommend]
        impl<'a> $name<'a> for $target {
            fn from_ref($v: $source) -> Self { $conv }
        })*
    };
}

param_trait!(
    /// Types the `info` parameter may have.
    InfoParam, "the `info` parameter cannot have type `{Self}`", &'a UserInfo, "expected `&UserInfo` or `UserInfo`",
    { &'a UserInfo => |v| v, UserInfo => |v| v.clone() },
    ///
    /// ```
    /// use axum_oauth_login::{UserInfo, hooks::InfoParam};
    /// let info = UserInfo::from_claims("sub", serde_json::json!({"sub": "1"})).unwrap();
    /// let owned: UserInfo = InfoParam::from_ref(&info);
    /// assert_eq!(owned.ident, "1");
    /// ```
);
param_trait!(
    /// Types the `ident` (or `auth`) parameter may have.
    IdentParam, "the `ident` parameter cannot have type `{Self}`", &'a str, "expected `&str` or `String`",
    { &'a str => |v| v, String => |v| v.to_owned() },
    ///
    /// ```
    /// use axum_oauth_login::hooks::IdentParam;
    /// let owned: String = IdentParam::from_ref("dev-1");
    /// assert_eq!(owned, "dev-1");
    /// ```
);
param_trait!(
    /// Types the `session` parameter may have.
    SessionParam, "the `session` parameter cannot have type `{Self}`", &'a Session, "expected `&Session` or `Session`",
    { &'a Session => |v| v, Session => |v| v.clone() },
    ///
    /// ```
    /// use std::sync::Arc;
    /// use axum_oauth_login::{Session, hooks::SessionParam};
    /// let session = Session::new(None, Arc::new(tower_sessions::MemoryStore::default()), None);
    /// let owned: Session = SessionParam::from_ref(&session);
    /// assert!(owned.id().is_none());
    /// ```
);
param_trait!(
    /// Types the `state` parameter may have.
    StateParam, "the `state` parameter cannot have type `{Self}`", Option<&'a str>, "expected `Option<&str>` or `Option<String>`",
    { Option<&'a str> => |v| v, Option<String> => |v| v.map(str::to_owned) },
    ///
    /// ```
    /// use axum_oauth_login::hooks::StateParam;
    /// let owned: Option<String> = StateParam::from_ref(Some("draft"));
    /// assert_eq!(owned.as_deref(), Some("draft"));
    /// ```
);
param_trait!(
    /// Types the `req` parameter of `check_invalid` may have.
    RequestParam, "the `req` parameter cannot have type `{Self}`", &'a Parts, "expected `&Parts` (`http::request::Parts`)",
    { &'a Parts => |v| v },
    ///
    /// ```
    /// use axum_oauth_login::hooks::RequestParam;
    /// let (parts, ()) = http::Request::new(()).into_parts();
    /// let req: &http::request::Parts = RequestParam::from_ref(&parts);
    /// assert_eq!(req.method, http::Method::GET);
    /// ```
);
param_trait!(
    /// Types the `auth` parameter of `check_invalid` may have (the logged-in user's ident).
    AuthParam, "the `auth` parameter cannot have type `{Self}`", &'a str, "expected `&str` or `String`",
    { &'a str => |v| v, String => |v| v.to_owned() },
    ///
    /// ```
    /// use axum_oauth_login::hooks::AuthParam;
    /// let owned: String = AuthParam::from_ref("dev-1");
    /// assert_eq!(owned, "dev-1");
    /// ```
);
param_trait!(
    /// Types the `auth` parameter of the `logout` hook may have (`None` when nobody was logged in).
    OptionalIdentParam, "the `auth` parameter cannot have type `{Self}`", Option<&'a str>, "expected `Option<&str>` or `Option<String>`",
    { Option<&'a str> => |v| v, Option<String> => |v| v.map(str::to_owned) },
    ///
    /// ```
    /// use axum_oauth_login::hooks::OptionalIdentParam;
    /// let owned: Option<String> = OptionalIdentParam::from_ref(None);
    /// assert_eq!(owned, None);
    /// ```
);
