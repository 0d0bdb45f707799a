use oauth_runtime::oauth;

#[oauth(provider = github)]
struct Auth;

fn main() {}
