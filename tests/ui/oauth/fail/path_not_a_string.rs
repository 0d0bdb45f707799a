use oauth_runtime::oauth;

const LOGIN: &str = "/signin";

#[oauth(provider = "github", login = LOGIN)]
struct Auth;

fn main() {}
