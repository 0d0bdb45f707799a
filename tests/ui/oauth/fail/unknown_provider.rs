use oauth_runtime::oauth;

#[oauth(provider = "gihub")]
struct Auth;

fn main() {}
