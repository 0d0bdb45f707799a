#[oauth(provider = "dev")]
struct Auth;
