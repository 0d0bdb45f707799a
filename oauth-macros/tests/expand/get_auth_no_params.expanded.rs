fn anyone() -> Option<&'static str> {
    Some("welcome")
}
#[automatically_derived]
impl ::axum_oauth_login::__private_v0_1::GetAuth for crate::Auth {
    fn get_auth<'a>(
        &'a self,
        _: &'a ::axum_oauth_login::__private_v0_1::AuthContext,
    ) -> ::axum_oauth_login::__private_v0_1::BoxFuture<
        'a,
        ::axum_oauth_login::__private_v0_1::Decision,
    > {
        ::axum_oauth_login::__private_v0_1::Box::pin(async move {
            let answer = anyone();
            ::axum_oauth_login::__private_v0_1::IntoDecision::into_decision(answer)
        })
    }
}
