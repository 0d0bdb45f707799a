async fn check_invalid(
    oauth: &Auth,
    auth: &str,
    req: &Parts,
    session: &Session,
) -> bool {
    oauth.banned.iter().any(|b| b == auth)
}
#[automatically_derived]
impl ::axum_oauth_login::__private::CheckInvalid for Auth {
    fn check_invalid<'a>(
        &'a self,
        cx: &'a ::axum_oauth_login::__private::GuardContext<'a>,
    ) -> ::axum_oauth_login::__private::BoxFuture<
        'a,
        ::axum_oauth_login::__private::Option<
            ::axum_oauth_login::__private::Result<
                ::axum_oauth_login::__private::Response,
                (),
            >,
        >,
    > {
        ::axum_oauth_login::__private::Box::pin(async move {
            let answer = check_invalid(
                    self,
                    <&str as ::axum_oauth_login::__private::AuthParam<
                        '_,
                    >>::from_ref(cx.auth),
                    <&Parts as ::axum_oauth_login::__private::RequestParam<
                        '_,
                    >>::from_ref(cx.req),
                    <&Session as ::axum_oauth_login::__private::SessionParam<
                        '_,
                    >>::from_ref(cx.session),
                )
                .await;
            ::axum_oauth_login::__private::IntoCheck::into_check(answer)
        })
    }
}
