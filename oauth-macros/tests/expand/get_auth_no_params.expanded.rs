fn anyone() -> Option<&'static str> {
    Some("welcome")
}
#[automatically_derived]
impl ::oauth_runtime::__private::GetAuth for crate::Auth {
    fn get_auth<'a>(
        &'a self,
        _: &'a ::oauth_runtime::__private::AuthContext,
    ) -> ::oauth_runtime::__private::BoxFuture<
        'a,
        ::oauth_runtime::__private::Decision,
    > {
        ::oauth_runtime::__private::Box::pin(async move {
            let answer = anyone();
            ::oauth_runtime::__private::IntoDecision::into_decision(answer)
        })
    }
}
