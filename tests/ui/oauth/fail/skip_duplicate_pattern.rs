use oauth_runtime::oauth;

#[oauth(provider = "github", skip = ["/public", "/about", "/public"])]
struct Auth;

fn main() {}
