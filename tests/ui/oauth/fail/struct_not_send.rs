use std::rc::Rc;

use oauth_runtime::oauth;

#[oauth(provider = "github")]
struct Auth {
    users: Rc<Vec<String>>,
}

fn main() {}
