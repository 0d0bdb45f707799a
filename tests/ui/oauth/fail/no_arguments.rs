use oauth_runtime::oauth;

#[oauth]
struct Auth;

fn main() {}
