use oauth_runtime::oauth;

#[oauth(provider = "github", skip = [""])]
struct Auth;

fn main() {}
