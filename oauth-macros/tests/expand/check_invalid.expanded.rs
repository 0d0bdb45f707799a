async fn check_invalid(
    oauth: &Auth,
    auth: &str,
    req: &Parts,
    session: &Session,
) -> bool {
    oauth.banned.iter().any(|b| b == auth)
}
#[automatically_derived]
impl ::oauth_runtime::__private::CheckInvalid for Auth {
    fn check_invalid<'a>(
        &'a self,
        cx: &'a ::oauth_runtime::__private::GuardContext<'a>,
    ) -> ::oauth_runtime::__private::BoxFuture<
        'a,
        ::oauth_runtime::__private::Option<
            ::oauth_runtime::__private::Result<::oauth_runtime::__private::Response, ()>,
        >,
    > {
        ::oauth_runtime::__private::Box::pin(async move {
            let answer = check_invalid(
                    self,
                    <&str as ::oauth_runtime::__private::AuthParam<
                        '_,
                    >>::from_ref(cx.auth),
                    <&Parts as ::oauth_runtime::__private::RequestParam<
                        '_,
                    >>::from_ref(cx.req),
                    <&Session as ::oauth_runtime::__private::SessionParam<
                        '_,
                    >>::from_ref(cx.session),
                )
                .await;
            ::oauth_runtime::__private::IntoCheck::into_check(answer)
        })
    }
}
