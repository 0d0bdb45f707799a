use oauth_runtime::oauth;

#[oauth(provider = "github")]
enum Auth {
    GitHub,
}

fn main() {}
