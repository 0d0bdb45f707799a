use axum::response::Redirect;
use axum_oauth_login::{get_auth, hooks::GetAuth, oauth};

#[oauth(provider = "huggingface")]
struct Login {
    home: &'static str,
}

#[get_auth]
fn get_auth(oauth: &Login) -> Option<Redirect> {
    Some(Redirect::to(oauth.home))
}

mod nested {
    use axum::response::Redirect;

    #[axum_oauth_login::oauth(provider = "dev")]
    pub struct Auth;

    // The same struct named twice, by the parameter and the attribute: accepted.
    #[axum_oauth_login::get_auth(Auth)]
    pub fn get_auth(oauth: &Auth) -> Option<Redirect> {
        let _ = oauth;
        None
    }
}

fn assert_get_auth<T: GetAuth>() {}

fn main() {
    assert_get_auth::<Login>();
    assert_get_auth::<nested::Auth>();
    let _ = (Login { home: "/" }.home, nested::Auth);
}
