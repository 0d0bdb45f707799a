use oauth_runtime::{logout, oauth};

#[oauth(provider = "dev")]
struct Auth;

struct Goodbye;

#[logout]
fn logout() -> Goodbye {
    Goodbye
}

fn main() {}
