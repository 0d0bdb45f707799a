use axum::http::StatusCode;
use axum::response::IntoResponse;
use http::request::Parts;
use axum_oauth_login::{Session, check_invalid, hooks::CheckInvalid, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[check_invalid]
async fn check_invalid(
    session: &Session,
    req: &Parts,
    oauth: &Auth,
    auth: String,
) -> Option<impl IntoResponse> {
    let _ = (oauth, auth);
    let banned: Option<bool> = session.get("banned").await.ok()?;
    (banned == Some(true) && req.uri.path() != "/appeal")
        .then_some((StatusCode::FORBIDDEN, "banned"))
}

fn assert_check_invalid<T: CheckInvalid>() {}

fn main() {
    assert_check_invalid::<Auth>();
    let _ = Auth;
}
