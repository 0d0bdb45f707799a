use oauth_runtime::oauth;

#[oauth(provider = "twitter")]
struct Auth;

fn main() {}
