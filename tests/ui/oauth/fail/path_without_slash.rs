use oauth_runtime::oauth;

#[oauth(provider = "github", redirect = "callback")]
struct Auth;

fn main() {}
