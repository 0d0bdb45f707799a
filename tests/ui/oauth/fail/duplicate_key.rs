use oauth_runtime::oauth;

#[oauth(provider = "github", login = "/signin", login = "/login")]
struct Auth;

fn main() {}
