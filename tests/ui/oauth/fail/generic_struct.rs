use oauth_runtime::oauth;

#[oauth(provider = "github")]
struct Auth<T> {
    users: Vec<T>,
}

fn main() {}
