/// Every key given.
#[oauth(
    provider = "github",
    redirect = "/auth/callback",
    error = "/auth/error",
    logout = "/auth/logout",
    login = "/auth/login",
    skip = ["/public", r"/static/.*"],
)]
pub struct Auth {
    banned: Vec<String>,
}
