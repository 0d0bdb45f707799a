use oauth_runtime::oauth;

#[oauth(provider = "gihub", redirect = "callback", skip = ["/public", "/static/(.*"])]
struct Auth;

fn main() {}
