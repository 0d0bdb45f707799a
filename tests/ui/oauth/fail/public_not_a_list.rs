use oauth_runtime::oauth;

#[oauth(provider = "github", public = "/")]
struct Auth;

fn main() {}
