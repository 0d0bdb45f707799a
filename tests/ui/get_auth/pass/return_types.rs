use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect};
use axum_oauth_login::hooks::{Decision, GetAuth};
use axum_oauth_login::{get_auth, oauth};

#[oauth(provider = "dev")]
struct Opaque;
#[get_auth(Opaque)]
fn opaque() -> Option<impl IntoResponse> {
    Some((StatusCode::OK, Html("<p>welcome</p>")))
}

#[oauth(provider = "dev")]
struct Tuple;
#[get_auth(Tuple)]
async fn tuple() -> Option<(StatusCode, &'static str)> {
    None
}

#[oauth(provider = "dev")]
struct Explicit;
#[get_auth(Explicit)]
fn explicit() -> Decision {
    Decision::Allow(Redirect::to("/").into_response())
}

fn assert_get_auth<T: GetAuth>() {}

fn main() {
    assert_get_auth::<Opaque>();
    assert_get_auth::<Tuple>();
    assert_get_auth::<Explicit>();
    let _ = (Opaque, Tuple, Explicit);
}
