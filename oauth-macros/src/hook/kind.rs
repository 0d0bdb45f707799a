//! The three hooks: the parameters each accepts and the runtime trait each implements. The
//! signature analysis and the expansion read only this table, so a new parameter is one line.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};

use crate::output::private;

/// Which attribute: `#[get_auth]`, `#[check_invalid]` or `#[logout]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    GetAuth,
    CheckInvalid,
    Logout,
}

/// A parameter a hook function may declare, by name.
pub(crate) struct Param {
    pub(crate) name: &'static str,
    pub(crate) source: Source,
}

/// Where a parameter's value comes from.
pub(crate) enum Source {
    /// The auth struct: `self` of the generated impl, for `oauth: &Auth`.
    Auth,
    /// A value of the hook's context `cx`, converted to the user's type by a runtime trait,
    /// `<UserType as Conversion<'_>>::from_ref(value)`, whose `on_unimplemented` message names the
    /// parameter.
    Context {
        conversion: &'static str,
        value: fn() -> TokenStream,
    },
}

const fn context(
    name: &'static str,
    conversion: &'static str,
    value: fn() -> TokenStream,
) -> Param {
    Param {
        name,
        source: Source::Context { conversion, value },
    }
}

const OAUTH: Param = Param {
    name: "oauth",
    source: Source::Auth,
};

const GET_AUTH: &[Param] = &[
    context("info", "InfoParam", || quote!(&cx.info)),
    context("ident", "IdentParam", || quote!(cx.ident.as_str())),
    context("session", "SessionParam", || quote!(&cx.session)),
    context("state", "StateParam", || quote!(cx.state.as_deref())),
    OAUTH,
];

const CHECK_INVALID: &[Param] = &[
    context("req", "RequestParam", || quote!(cx.req)),
    context("session", "SessionParam", || quote!(cx.session)),
    context("auth", "AuthParam", || quote!(cx.auth)),
    OAUTH,
];

const LOGOUT: &[Param] = &[
    context("session", "SessionParam", || quote!(&cx.session)),
    context("auth", "OptionalIdentParam", || quote!(cx.auth.as_deref())),
    OAUTH,
];

/// The runtime side of a hook: the trait the generated impl implements and how the function's
/// answer becomes the trait method's output.
pub(crate) struct Contract {
    /// `::axum_oauth_login::__private_v0_1::GetAuth`
    pub(crate) trait_path: TokenStream,
    /// The trait's method: `get_auth`
    pub(crate) method: TokenStream,
    /// The context the method receives, borrowed for `'a`.
    pub(crate) context: TokenStream,
    /// The output of the method's future.
    pub(crate) output: TokenStream,
    /// The conversion of the function's answer, spanned at the user's return type so a wrong
    /// type is reported there (the path is written out: an interpolated `#p` would keep the
    /// attribute's span).
    pub(crate) convert: TokenStream,
    /// A value of `output`, for the stub impl emitted next to errors.
    pub(crate) fallback: TokenStream,
}

impl Kind {
    /// The attribute's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::GetAuth => "get_auth",
            Self::CheckInvalid => "check_invalid",
            Self::Logout => "logout",
        }
    }

    pub(crate) fn params(self) -> &'static [Param] {
        match self {
            Self::GetAuth => GET_AUTH,
            Self::CheckInvalid => CHECK_INVALID,
            Self::Logout => LOGOUT,
        }
    }

    /// The parameter a user most likely meant by a name this hook does not have, and why: names
    /// that a spelling suggestion cannot guess (`auth` in `#[get_auth]` is `ident`). `ty` is the
    /// parameter's type as written: `user: &UserInfo` meant `info`, `user: &str` meant `ident`.
    pub(crate) fn meant(self, name: &str, ty: &str) -> Option<(&'static str, &'static str)> {
        const IDENT: &str =
            "the user's id at the provider; it becomes `auth` once they are logged in";
        const AUTH: &str = "the logged-in user's ident";
        const INFO: &str = "what the provider says about the user";
        let has = |name: &str| self.params().iter().any(|p| p.name == name);
        if ty.contains("UserInfo") && has("info") {
            return Some(("info", INFO));
        }
        if ty.contains("Session") && has("session") {
            return Some(("session", "the user's session"));
        }
        if ty.contains("Parts") && has("req") {
            return Some(("req", "the request's method, URI and headers, as `&Parts`"));
        }
        let name = name.to_ascii_lowercase();
        let meant = match (self, name.as_str()) {
            (Self::GetAuth, "auth" | "user" | "user_id" | "uid" | "id" | "sub" | "subject") => {
                ("ident", IDENT)
            }
            (Self::GetAuth, "user_info" | "userinfo" | "profile" | "claims") => ("info", INFO),
            (Self::CheckInvalid | Self::Logout, "ident" | "user" | "user_id" | "uid" | "id") => {
                ("auth", AUTH)
            }
            (Self::CheckInvalid, "request" | "parts" | "headers") => {
                ("req", "the request's method, URI and headers, as `&Parts`")
            }
            (_, "sess") => ("session", "the user's session"),
            (_, "auth_struct" | "this" | "me") => ("oauth", "the auth struct, as `oauth: &Auth`"),
            _ => return None,
        };
        Some(meant)
    }

    /// What the function returns, for the "missing return type" error.
    pub(crate) fn returns(self) -> &'static str {
        match self {
            Self::GetAuth => {
                "`Option<impl IntoResponse>`: `Some(response)` logs the user in, `None` sends them back to the login page"
            }
            Self::CheckInvalid => {
                "`bool` or `Option<impl IntoResponse>`: `false` or `None` lets the request through"
            }
            Self::Logout => "the response to send, e.g. `Redirect`",
        }
    }

    /// `return_span`: the user's return type.
    pub(crate) fn contract(self, return_span: Span) -> Contract {
        let p = private();
        match self {
            Self::GetAuth => Contract {
                trait_path: quote!(#p::GetAuth),
                method: quote!(get_auth),
                context: quote!(#p::AuthContext),
                output: quote!(#p::Decision),
                convert: quote_spanned!(return_span=> ::axum_oauth_login::__private_v0_1::IntoDecision::into_decision),
                fallback: quote!(#p::Decision::Deny),
            },
            Self::CheckInvalid => Contract {
                trait_path: quote!(#p::CheckInvalid),
                method: quote!(check_invalid),
                context: quote!(#p::GuardContext<'a>),
                output: quote!(#p::Option<#p::Result<#p::Response, ()>>),
                convert: quote_spanned!(return_span=> ::axum_oauth_login::__private_v0_1::IntoCheck::into_check),
                fallback: quote!(#p::Option::None),
            },
            Self::Logout => Contract {
                trait_path: quote!(#p::Logout),
                method: quote!(logout),
                context: quote!(#p::LogoutContext),
                output: quote!(#p::Response),
                convert: quote_spanned!(return_span=> ::axum_oauth_login::__private_v0_1::IntoLogoutResponse::into_logout_response),
                fallback: quote!(#p::IntoResponse::into_response(())),
            },
        }
    }
}
