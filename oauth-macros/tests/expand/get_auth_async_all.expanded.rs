async fn decide(
    state: Option<&str>,
    oauth: &MyAuth,
    session: Session,
    ident: String,
    info: UserInfo,
) -> Option<Redirect> {
    None
}
#[automatically_derived]
impl ::oauth_runtime::__private::GetAuth for MyAuth {
    fn get_auth<'a>(
        &'a self,
        cx: &'a ::oauth_runtime::__private::AuthContext,
    ) -> ::oauth_runtime::__private::BoxFuture<
        'a,
        ::oauth_runtime::__private::Decision,
    > {
        ::oauth_runtime::__private::Box::pin(async move {
            let answer = decide(
                    <Option<
                        &str,
                    > as ::oauth_runtime::__private::StateParam<
                        '_,
                    >>::from_ref(cx.state.as_deref()),
                    self,
                    <Session as ::oauth_runtime::__private::SessionParam<
                        '_,
                    >>::from_ref(&cx.session),
                    <String as ::oauth_runtime::__private::IdentParam<
                        '_,
                    >>::from_ref(cx.ident.as_str()),
                    <UserInfo as ::oauth_runtime::__private::InfoParam<
                        '_,
                    >>::from_ref(&cx.info),
                )
                .await;
            ::oauth_runtime::__private::IntoDecision::into_decision(answer)
        })
    }
}
