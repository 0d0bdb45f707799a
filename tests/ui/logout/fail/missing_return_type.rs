use oauth_runtime::{logout, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[logout]
async fn logout() {}

fn main() {}
