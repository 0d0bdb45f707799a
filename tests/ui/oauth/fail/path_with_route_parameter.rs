use oauth_runtime::oauth;

#[oauth(provider = "github", logout = "/logout/{id}")]
struct Auth;

fn main() {}
