use oauth_runtime::oauth;

#[oauth(provider = "github", callback = "/callback")]
struct Auth;

fn main() {}
