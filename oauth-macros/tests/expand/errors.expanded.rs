/// Errors: the item is kept, the errors are reported together, and a stub impl keeps
/// follow-on errors away.
struct Auth;
::core::compile_error! {
    "unknown key `redirct`, did you mean `redirect`"
}
::core::compile_error! {
    "unknown provider `gihub`, did you mean `github`"
}
::core::compile_error! {
    "invalid regular expression `(`: unclosed group at `(`"
}
#[automatically_derived]
impl ::axum_oauth_login::__private_v0_1::OAuth for Auth {
    const CONFIG: ::axum_oauth_login::__private_v0_1::Config = ::axum_oauth_login::__private_v0_1::Config::DEFAULT;
    fn hooks() -> ::axum_oauth_login::__private_v0_1::Hooks<Self> {
        ::axum_oauth_login::__private_v0_1::Hooks {
            check_invalid: ::axum_oauth_login::__private_v0_1::Option::None,
            logout: ::axum_oauth_login::__private_v0_1::Option::None,
        }
    }
}
fn get_auth(inf: &UserInfo) -> Option<Redirect> {
    None
}
::core::compile_error! {
    "unknown parameter `inf` of `#[get_auth]`, did you mean `info` (what the provider says about the user)"
}
#[automatically_derived]
impl ::axum_oauth_login::__private_v0_1::GetAuth for Auth {
    fn get_auth<'a>(
        &'a self,
        _: &'a ::axum_oauth_login::__private_v0_1::AuthContext,
    ) -> ::axum_oauth_login::__private_v0_1::BoxFuture<
        'a,
        ::axum_oauth_login::__private_v0_1::Decision,
    > {
        ::axum_oauth_login::__private_v0_1::Box::pin(async move {
            ::axum_oauth_login::__private_v0_1::Decision::Deny
        })
    }
}
fn logout() {}
::core::compile_error! {
    "missing return type: `#[logout]` functions return the response to send, e.g. `Redirect`"
}
#[automatically_derived]
impl ::axum_oauth_login::__private_v0_1::Logout for Auth {
    fn logout<'a>(
        &'a self,
        _: &'a ::axum_oauth_login::__private_v0_1::LogoutContext,
    ) -> ::axum_oauth_login::__private_v0_1::BoxFuture<
        'a,
        ::axum_oauth_login::__private_v0_1::Response,
    > {
        ::axum_oauth_login::__private_v0_1::Box::pin(async move {
            ::axum_oauth_login::__private_v0_1::IntoResponse::into_response(())
        })
    }
}
fn not_a_struct() {}
::core::compile_error! {
    "`#[oauth]` must be on a struct, e.g. `#[oauth(provider = \"github\")] struct Auth;`"
}
