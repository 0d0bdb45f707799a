use oauth_runtime::oauth;

#[oauth(provider = "github", redirct = "/callback")]
struct Auth;

fn main() {}
