use oauth_runtime::oauth;

#[oauth(provider = "github")]
struct Auth<'a> {
    domain: &'a str,
}

fn main() {}
