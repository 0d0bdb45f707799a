fn get_auth(info: &UserInfo) -> Option<Redirect> {
    info.email_verified.then(|| Redirect::to("/"))
}
#[automatically_derived]
impl ::oauth_runtime::__private::GetAuth for Auth {
    fn get_auth<'a>(
        &'a self,
        cx: &'a ::oauth_runtime::__private::AuthContext,
    ) -> ::oauth_runtime::__private::BoxFuture<
        'a,
        ::oauth_runtime::__private::Decision,
    > {
        ::oauth_runtime::__private::Box::pin(async move {
            let answer = get_auth(
                <&UserInfo as ::oauth_runtime::__private::InfoParam<
                    '_,
                >>::from_ref(&cx.info),
            );
            ::oauth_runtime::__private::IntoDecision::into_decision(answer)
        })
    }
}
