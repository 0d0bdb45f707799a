use oauth_runtime::oauth;

#[oauth(provider = "github", login = "/login?next=/")]
struct Auth;

fn main() {}
