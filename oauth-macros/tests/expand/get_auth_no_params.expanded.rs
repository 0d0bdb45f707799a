fn anyone() -> Option<&'static str> {
    Some("welcome")
}
#[automatically_derived]
impl ::axum_oauth_login::__private::GetAuth for crate::Auth {
    fn get_auth<'a>(
        &'a self,
        _: &'a ::axum_oauth_login::__private::AuthContext,
    ) -> ::axum_oauth_login::__private::BoxFuture<
        'a,
        ::axum_oauth_login::__private::Decision,
    > {
        ::axum_oauth_login::__private::Box::pin(async move {
            let answer = anyone();
            ::axum_oauth_login::__private::IntoDecision::into_decision(answer)
        })
    }
}
