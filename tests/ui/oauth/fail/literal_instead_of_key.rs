use oauth_runtime::oauth;

#[oauth("github")]
struct Auth;

fn main() {}
