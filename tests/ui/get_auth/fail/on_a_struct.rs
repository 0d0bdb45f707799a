use oauth_runtime::get_auth;

#[get_auth]
struct Auth;

fn main() {}
