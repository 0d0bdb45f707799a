use oauth_runtime::oauth;

#[oauth(provider = "github", skip = "/public")]
struct Auth;

fn main() {}
