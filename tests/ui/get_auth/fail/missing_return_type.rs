use oauth_runtime::{UserInfo, get_auth, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[get_auth]
fn get_auth(info: &UserInfo) {
    let _ = info;
}

fn main() {}
