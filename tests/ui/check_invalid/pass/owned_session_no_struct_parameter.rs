use axum::response::Redirect;
use axum_oauth_login::{Session, check_invalid, hooks::CheckInvalid, oauth};

#[oauth(provider = "dev")]
struct Members;

#[check_invalid(Members)]
fn expired(session: Session) -> Option<Redirect> {
    let _ = session;
    None
}

fn assert_check_invalid<T: CheckInvalid>() {}

fn main() {
    assert_check_invalid::<Members>();
    let _ = Members;
}
