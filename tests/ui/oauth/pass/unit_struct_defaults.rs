use axum_oauth_login::{OAuth, oauth};

#[oauth(provider = "github")]
struct Auth;

fn main() {
    let config = <Auth as OAuth>::CONFIG;
    assert_eq!(config.provider, "github");
    assert_eq!(config.redirect, "/redirect");
    assert_eq!(config.error, "/error");
    assert_eq!(config.logout, "/logout");
    assert_eq!(config.login, "/login");
    assert!(config.skip.is_empty());
    let _ = Auth;
}
