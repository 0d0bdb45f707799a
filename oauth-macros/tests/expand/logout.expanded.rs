fn logout(session: &Session, auth: Option<&str>) -> Redirect {
    Redirect::to("/bye")
}
#[automatically_derived]
impl ::oauth_runtime::__private::Logout for Auth {
    fn logout<'a>(
        &'a self,
        cx: &'a ::oauth_runtime::__private::LogoutContext,
    ) -> ::oauth_runtime::__private::BoxFuture<
        'a,
        ::oauth_runtime::__private::Response,
    > {
        ::oauth_runtime::__private::Box::pin(async move {
            let answer = logout(
                <&Session as ::oauth_runtime::__private::SessionParam<
                    '_,
                >>::from_ref(&cx.session),
                <Option<
                    &str,
                > as ::oauth_runtime::__private::OptionalIdentParam<
                    '_,
                >>::from_ref(cx.auth.as_deref()),
            );
            ::oauth_runtime::__private::IntoResponse::into_response(answer)
        })
    }
}
