/// Errors: the item is kept, the errors are reported together, and a stub impl keeps
/// follow-on errors away.
#[oauth(provider = "gihub", redirct = "/r", skip = ["("])]
struct Auth;

#[get_auth]
fn get_auth(inf: &UserInfo) -> Option<Redirect> {
    None
}

#[logout]
fn logout() {}

#[oauth(provider = "dev")]
fn not_a_struct() {}
