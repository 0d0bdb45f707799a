use oauth_runtime::oauth;

const PUBLIC: &str = "/public";

#[oauth(provider = "github", skip = ["/about", PUBLIC])]
struct Auth;

fn main() {}
