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
impl ::axum_oauth_login::__private_v0_1::GetAuth for MyAuth {
    fn get_auth<'a>(
        &'a self,
        cx: &'a ::axum_oauth_login::__private_v0_1::AuthContext,
    ) -> ::axum_oauth_login::__private_v0_1::BoxFuture<
        'a,
        ::axum_oauth_login::__private_v0_1::Decision,
    > {
        ::axum_oauth_login::__private_v0_1::Box::pin(async move {
            let answer = decide(
                    <Option<
                        &str,
                    > as ::axum_oauth_login::__private_v0_1::StateParam<
                        '_,
                    >>::from_ref(cx.state.as_deref()),
                    self,
                    <Session as ::axum_oauth_login::__private_v0_1::SessionParam<
                        '_,
                    >>::from_ref(&cx.session),
                    <String as ::axum_oauth_login::__private_v0_1::IdentParam<
                        '_,
                    >>::from_ref(cx.ident.as_str()),
                    <UserInfo as ::axum_oauth_login::__private_v0_1::InfoParam<
                        '_,
                    >>::from_ref(&cx.info),
                )
                .await;
            ::axum_oauth_login::__private_v0_1::IntoDecision::into_decision(answer)
        })
    }
}
