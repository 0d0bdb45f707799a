#[get_auth(crate::Auth)]
fn anyone() -> Option<&'static str> {
    Some("welcome")
}
