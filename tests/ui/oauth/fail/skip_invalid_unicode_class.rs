use oauth_runtime::oauth;

#[oauth(provider = "github", skip = [r"/\p{Greek2}"])]
struct Auth;

fn main() {}
