use axum_oauth_login::{OAuth, oauth};

#[oauth(provider = "google")]
struct Google;
#[oauth(provider = "github")]
struct GitHub;
#[oauth(provider = "huggingface")]
struct HuggingFace;
#[oauth(provider = "discord")]
struct Discord;
#[oauth(provider = "gitlab")]
struct GitLab;
#[oauth(provider = "auth0")]
struct Auth0;
#[oauth(provider = "entra")]
struct Entra;
#[oauth(provider = "apple")]
struct Apple;
#[oauth(provider = "oidc")]
struct Oidc;
#[oauth(provider = "dev")]
struct Dev;

fn main() {
    assert_eq!(<Google as OAuth>::CONFIG.provider, "google");
    assert_eq!(<GitHub as OAuth>::CONFIG.provider, "github");
    assert_eq!(<HuggingFace as OAuth>::CONFIG.provider, "huggingface");
    assert_eq!(<Discord as OAuth>::CONFIG.provider, "discord");
    assert_eq!(<GitLab as OAuth>::CONFIG.provider, "gitlab");
    assert_eq!(<Auth0 as OAuth>::CONFIG.provider, "auth0");
    assert_eq!(<Entra as OAuth>::CONFIG.provider, "entra");
    assert_eq!(<Apple as OAuth>::CONFIG.provider, "apple");
    assert_eq!(<Oidc as OAuth>::CONFIG.provider, "oidc");
    assert_eq!(<Dev as OAuth>::CONFIG.provider, "dev");
    let _ = (
        Google,
        GitHub,
        HuggingFace,
        Discord,
        GitLab,
        Auth0,
        Entra,
        Apple,
        Oidc,
        Dev,
    );
}
