use oauth_runtime::oauth;

#[oauth(provider = "")]
struct Auth;

fn main() {}
