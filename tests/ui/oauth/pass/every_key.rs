use axum_oauth_login::{OAuth, oauth};

#[oauth(
    provider = "google",
    redirect = "/auth/callback",
    error = "/auth/error",
    logout = "/auth/logout",
    login = "/auth/login",
    skip = ["/public", r"/static/.*", r"/img/\d+\.png", "(?i)/About", ".*\\.css"],
    public = ["/", r"/blog/.*"],
)]
struct Auth;

fn main() {
    let config = <Auth as OAuth>::CONFIG;
    assert_eq!(config.provider, "google");
    assert_eq!(config.redirect, "/auth/callback");
    assert_eq!(config.error, "/auth/error");
    assert_eq!(config.logout, "/auth/logout");
    assert_eq!(config.login, "/auth/login");
    assert_eq!(
        config.skip,
        [
            "/public",
            r"/static/.*",
            r"/img/\d+\.png",
            "(?i)/About",
            ".*\\.css"
        ]
    );
    assert_eq!(config.public, ["/", r"/blog/.*"]);
    let _ = Auth;
}
