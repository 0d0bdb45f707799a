fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}
#[automatically_derived]
impl ::axum_oauth_login::__private_v0_1::GetAuth for Auth {
    fn get_auth<'a>(
        &'a self,
        cx: &'a ::axum_oauth_login::__private_v0_1::AuthContext,
    ) -> ::axum_oauth_login::__private_v0_1::BoxFuture<
        'a,
        ::axum_oauth_login::__private_v0_1::Decision,
    > {
        ::axum_oauth_login::__private_v0_1::Box::pin(async move {
            let answer = get_auth(
                <&UserInfo as ::axum_oauth_login::__private_v0_1::InfoParam<
                    '_,
                >>::from_ref(&cx.info),
            );
            ::axum_oauth_login::__private_v0_1::IntoDecision::into_decision(answer)
        })
    }
}
