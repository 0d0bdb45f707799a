fn logout(session: &Session, auth: Option<&str>) -> Redirect {
    Redirect::to("/bye")
}
#[automatically_derived]
impl ::axum_oauth_login::__private::Logout for Auth {
    fn logout<'a>(
        &'a self,
        cx: &'a ::axum_oauth_login::__private::LogoutContext,
    ) -> ::axum_oauth_login::__private::BoxFuture<
        'a,
        ::axum_oauth_login::__private::Response,
    > {
        ::axum_oauth_login::__private::Box::pin(async move {
            let answer = logout(
                <&Session as ::axum_oauth_login::__private::SessionParam<
                    '_,
                >>::from_ref(&cx.session),
                <Option<
                    &str,
                > as ::axum_oauth_login::__private::OptionalIdentParam<
                    '_,
                >>::from_ref(cx.auth.as_deref()),
            );
            ::axum_oauth_login::__private::IntoResponse::into_response(answer)
        })
    }
}
