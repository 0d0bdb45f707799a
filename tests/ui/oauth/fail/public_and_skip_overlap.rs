use oauth_runtime::oauth;

#[oauth(provider = "github", skip = ["/", r"/static/.*"], public = ["/about", "/"])]
struct Auth;

fn main() {}
