async fn check_invalid(
    oauth: &Auth,
    auth: &str,
    req: &Parts,
    session: &Session,
) -> bool {
    oauth.banned.iter().any(|b| b == auth)
}
#[automatically_derived]
impl ::axum_oauth_login::__private_v0_1::CheckInvalid for Auth {
    fn check_invalid<'a>(
        &'a self,
        cx: &'a ::axum_oauth_login::__private_v0_1::GuardContext<'a>,
    ) -> ::axum_oauth_login::__private_v0_1::BoxFuture<
        'a,
        ::axum_oauth_login::__private_v0_1::Option<
            ::axum_oauth_login::__private_v0_1::Result<
                ::axum_oauth_login::__private_v0_1::Response,
                (),
            >,
        >,
    > {
        ::axum_oauth_login::__private_v0_1::Box::pin(async move {
            let answer = check_invalid(
                    self,
                    <&str as ::axum_oauth_login::__private_v0_1::AuthParam<
                        '_,
                    >>::from_ref(cx.auth),
                    <&Parts as ::axum_oauth_login::__private_v0_1::RequestParam<
                        '_,
                    >>::from_ref(cx.req),
                    <&Session as ::axum_oauth_login::__private_v0_1::SessionParam<
                        '_,
                    >>::from_ref(cx.session),
                )
                .await;
            ::axum_oauth_login::__private_v0_1::IntoCheck::into_check(answer)
        })
    }
}
