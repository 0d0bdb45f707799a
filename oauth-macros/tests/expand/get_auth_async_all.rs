#[get_auth]
async fn decide(
    state: Option<&str>,
    oauth: &MyAuth,
    session: Session,
    ident: String,
    info: UserInfo,
) -> Option<Redirect> {
    None
}
