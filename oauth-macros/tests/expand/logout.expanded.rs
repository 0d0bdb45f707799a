fn logout(session: &Session, auth: Option<&str>) -> Redirect {
    Redirect::to("/bye")
}
#[automatically_derived]
impl ::axum_oauth_login::__private_v0_1::Logout for Auth {
    fn logout<'a>(
        &'a self,
        cx: &'a ::axum_oauth_login::__private_v0_1::LogoutContext,
    ) -> ::axum_oauth_login::__private_v0_1::BoxFuture<
        'a,
        ::axum_oauth_login::__private_v0_1::Response,
    > {
        ::axum_oauth_login::__private_v0_1::Box::pin(async move {
            let answer = logout(
                <&Session as ::axum_oauth_login::__private_v0_1::SessionParam<
                    '_,
                >>::from_ref(&cx.session),
                <Option<
                    &str,
                > as ::axum_oauth_login::__private_v0_1::OptionalIdentParam<
                    '_,
                >>::from_ref(cx.auth.as_deref()),
            );
            ::axum_oauth_login::__private_v0_1::IntoLogoutResponse::into_logout_response(
                answer,
            )
        })
    }
}
