use axum_oauth_login::{OAuth, check_invalid, hooks::CheckInvalid, oauth};

#[oauth(provider = "github")]
struct Auth {
    banned: Vec<String>,
}

#[check_invalid]
fn check_invalid(oauth: &Auth, auth: &str) -> bool {
    oauth.banned.iter().any(|b| b == auth)
}

fn assert_check_invalid<T: CheckInvalid>() {}

fn main() {
    assert_check_invalid::<Auth>();
    assert!(<Auth as OAuth>::hooks().check_invalid.is_some());
    let _ = Auth { banned: Vec::new() };
}
