fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}
#[automatically_derived]
impl ::axum_oauth_login::__private::GetAuth for Auth {
    fn get_auth<'a>(
        &'a self,
        cx: &'a ::axum_oauth_login::__private::AuthContext,
    ) -> ::axum_oauth_login::__private::BoxFuture<
        'a,
        ::axum_oauth_login::__private::Decision,
    > {
        ::axum_oauth_login::__private::Box::pin(async move {
            let answer = get_auth(
                <&UserInfo as ::axum_oauth_login::__private::InfoParam<
                    '_,
                >>::from_ref(&cx.info),
            );
            ::axum_oauth_login::__private::IntoDecision::into_decision(answer)
        })
    }
}
