/// Every key given.
#[oauth(
    provider = "github",
    redirect = "/auth/callback",
    error = "/auth/error",
    logout = "/auth/logout",
    login = "/auth/login",
    skip = [r"/static/.*"],
    public = ["/", r"/blog/.*"],
)]
pub struct Auth {
    banned: Vec<String>,
}
