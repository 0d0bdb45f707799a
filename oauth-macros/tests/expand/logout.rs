#[logout]
fn logout(session: &Session, auth: Option<&str>) -> Redirect {
    Redirect::to("/bye")
}
