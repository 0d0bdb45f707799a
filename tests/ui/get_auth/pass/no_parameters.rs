use axum_oauth_login::{get_auth, hooks::GetAuth, oauth};

#[oauth(provider = "dev")]
struct Auth;

/// Lets everybody in.
#[get_auth]
async fn anyone() -> Option<&'static str> {
    Some("welcome")
}

fn assert_get_auth<T: GetAuth>() {}

fn main() {
    assert_get_auth::<Auth>();
    let _ = Auth;
}
