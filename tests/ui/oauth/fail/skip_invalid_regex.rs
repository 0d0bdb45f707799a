use oauth_runtime::oauth;

#[oauth(provider = "github", skip = ["/public", r"/static/(.*"])]
struct Auth;

fn main() {}
