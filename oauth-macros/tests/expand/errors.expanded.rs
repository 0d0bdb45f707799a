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
impl ::oauth_runtime::__private::OAuth for Auth {
    const CONFIG: ::oauth_runtime::__private::Config = ::oauth_runtime::__private::Config::DEFAULT;
    fn hooks() -> ::oauth_runtime::__private::Hooks<Self> {
        ::oauth_runtime::__private::Hooks {
            check_invalid: ::oauth_runtime::__private::Option::None,
            logout: ::oauth_runtime::__private::Option::None,
        }
    }
}
fn get_auth(inf: &UserInfo) -> Option<Redirect> {
    None
}
::core::compile_error! {
    "unknown parameter `inf` of `#[get_auth]`, did you mean `info`"
}
#[automatically_derived]
impl ::oauth_runtime::__private::GetAuth for Auth {
    fn get_auth<'a>(
        &'a self,
        _: &'a ::oauth_runtime::__private::AuthContext,
    ) -> ::oauth_runtime::__private::BoxFuture<
        'a,
        ::oauth_runtime::__private::Decision,
    > {
        ::oauth_runtime::__private::Box::pin(async move {
            ::oauth_runtime::__private::Decision::Deny
        })
    }
}
fn logout() {}
::core::compile_error! {
    "missing return type: `#[logout]` functions return the response to send, e.g. `Redirect`"
}
#[automatically_derived]
impl ::oauth_runtime::__private::Logout for Auth {
    fn logout<'a>(
        &'a self,
        _: &'a ::oauth_runtime::__private::LogoutContext,
    ) -> ::oauth_runtime::__private::BoxFuture<
        'a,
        ::oauth_runtime::__private::Response,
    > {
        ::oauth_runtime::__private::Box::pin(async move {
            ::oauth_runtime::__private::IntoResponse::into_response(())
        })
    }
}
fn not_a_struct() {}
::core::compile_error! {
    "`#[oauth]` must be on a struct, e.g. `#[oauth(provider = \"github\")] struct Auth;`"
}
