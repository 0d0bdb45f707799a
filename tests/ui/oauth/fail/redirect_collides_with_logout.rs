use oauth_runtime::oauth;

#[oauth(provider = "github", redirect = "/logout")]
struct Auth;

fn main() {}
