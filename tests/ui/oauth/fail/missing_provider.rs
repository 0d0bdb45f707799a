use oauth_runtime::oauth;

#[oauth(redirect = "/callback")]
struct Auth;

fn main() {}
