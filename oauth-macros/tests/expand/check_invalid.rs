#[check_invalid]
async fn check_invalid(oauth: &Auth, auth: &str, req: &Parts, session: &Session) -> bool {
    oauth.banned.iter().any(|b| b == auth)
}
