use oauth_runtime::oauth;

#[oauth(provider = "github")]
fn auth() {}

fn main() {}
