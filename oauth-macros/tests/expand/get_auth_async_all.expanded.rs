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
impl ::axum_oauth_login::__private::GetAuth for MyAuth {
    fn get_auth<'a>(
        &'a self,
        cx: &'a ::axum_oauth_login::__private::AuthContext,
    ) -> ::axum_oauth_login::__private::BoxFuture<
        'a,
        ::axum_oauth_login::__private::Decision,
    > {
        ::axum_oauth_login::__private::Box::pin(async move {
            let answer = decide(
                    <Option<
                        &str,
                    > as ::axum_oauth_login::__private::StateParam<
                        '_,
                    >>::from_ref(cx.state.as_deref()),
                    self,
                    <Session as ::axum_oauth_login::__private::SessionParam<
                        '_,
                    >>::from_ref(&cx.session),
                    <String as ::axum_oauth_login::__private::IdentParam<
                        '_,
                    >>::from_ref(cx.ident.as_str()),
                    <UserInfo as ::axum_oauth_login::__private::InfoParam<
                        '_,
                    >>::from_ref(&cx.info),
                )
                .await;
            ::axum_oauth_login::__private::IntoDecision::into_decision(answer)
        })
    }
}
