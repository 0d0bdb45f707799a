use oauth_runtime::{logout, oauth};

#[oauth(provider = "dev")]
struct Auth;

#[logout]
const LOGOUT: &str = "/bye";

fn main() {}
