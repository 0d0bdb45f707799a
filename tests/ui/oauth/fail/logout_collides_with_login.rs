use oauth_runtime::oauth;

#[oauth(provider = "github", login = "/auth", logout = "/auth")]
struct Auth;

fn main() {}
