use oauth_runtime::oauth;

#[oauth(provider = "github", public = ["/", "blog/.*", "/blog"])]
struct Auth;

fn main() {}
