use oauth_runtime::oauth;

#[oauth(provider = "github" login = "/signin")]
struct Auth;

fn main() {}
