//! The typed views against the providers' documented answers, and the rule that an email is
//! verified only when the provider says so.

use axum::Json;
use axum::Router;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::*;
use crate::{Client, DiscordAppClient, GitHubAppClient};

fn info_from(provider: &str, id_key: &str, raw: Value) -> UserInfo {
    UserInfo::from_claims(id_key, raw)
        .unwrap()
        .with_provider(provider)
}

// ---------------------------------------------------------------------------------------------
// Documented answers

/// GitHub's "Get the authenticated user" example (REST API docs), abridged.
fn github_user() -> Value {
    json!({
        "login": "octocat", "id": 1, "node_id": "MDQ6VXNlcjE=",
        "avatar_url": "https://github.com/images/error/octocat_happy.gif", "gravatar_id": "",
        "url": "https://api.github.com/users/octocat", "html_url": "https://github.com/octocat",
        "type": "User", "site_admin": false, "name": "monalisa octocat", "company": "GitHub",
        "blog": "https://github.com/blog", "location": "San Francisco",
        "email": "octocat@github.com", "hireable": false, "bio": "There once was...",
        "twitter_username": "monatheoctocat", "public_repos": 2, "public_gists": 1,
        "followers": 20, "following": 0, "created_at": "2008-01-14T04:33:35Z",
        "updated_at": "2008-01-14T04:33:35Z", "two_factor_authentication": true,
        "plan": { "name": "Medium", "space": 400, "private_repos": 20, "collaborators": 0 },
    })
}

/// Google's OpenID user info (`/v1/userinfo`) for a Workspace account.
fn google_user(email_verified: Value) -> Value {
    json!({
        "sub": "110169484474386276334", "name": "Ada Lovelace", "given_name": "Ada",
        "family_name": "Lovelace", "picture": "https://lh3.googleusercontent.com/a/photo",
        "email": "ada@example.com", "email_verified": email_verified, "locale": "en",
        "hd": "example.com",
    })
}

/// Discord's user object example (developer docs, "Get Current User").
fn discord_user(verified: Value) -> Value {
    json!({
        "id": "80351110224678912", "username": "nelly", "discriminator": "0",
        "global_name": "Nelly", "avatar": "8342729096ea3675442027381ff50dfe",
        "verified": verified, "email": "nelly@discord.com", "flags": 64,
        "banner": "06c16474723fe537c283b8efa61a30c8", "accent_color": 16711680,
        "premium_type": 1, "public_flags": 64, "mfa_enabled": true, "locale": "en-US",
    })
}

/// Hugging Face's `/oauth/userinfo` with scopes `openid profile email` and one organisation.
fn huggingface_user(email_verified: Value) -> Value {
    json!({
        "sub": "62f264b9f3c90f4b6514a269", "name": "Ada Lovelace", "preferred_username": "ada",
        "profile": "https://huggingface.co/ada", "picture": "https://cdn-avatars.huggingface.co/ada.png",
        "website": "https://ada.example", "email": "ada@example.com", "email_verified": email_verified,
        "isPro": true, "canPay": false,
        "orgs": [{
            "sub": "5e67bd5b1009063689407478", "name": "Answer.AI", "preferred_username": "answerdotai",
            "picture": "https://cdn-avatars.huggingface.co/answerdotai.png", "isEnterprise": true,
            "canPay": true, "roleInOrg": "admin", "pendingSSO": false, "missingMFA": false,
        }],
    })
}

/// Apple's ID token claims (Sign in with Apple: "Authenticating users"), with its string flags.
fn apple_user(email_verified: Value, is_private_email: Value) -> Value {
    json!({
        "iss": "https://appleid.apple.com", "aud": "com.example.web", "exp": 1_700_000_600,
        "iat": 1_700_000_000, "sub": "001234.abcdef0123456789abcdef0123456789.0123",
        "nonce": "n-0S6_WzA2Mj", "nonce_supported": true, "email": "x2f7@privaterelay.appleid.com",
        "email_verified": email_verified, "is_private_email": is_private_email,
        "real_user_status": 2, "auth_time": 1_700_000_000,
    })
}

/// GitLab's OpenID user info ("GitLab as OpenID Connect identity provider": shared information).
fn gitlab_user(email_verified: Value) -> Value {
    json!({
        "sub": "1234567", "sub_legacy": "2ce7a3d9f1b0d1c1f5e6a6b2c1a0f9e8d7c6b5a4", "name": "Ada Lovelace",
        "nickname": "ada", "preferred_username": "ada", "email": "ada@example.com",
        "email_verified": email_verified, "website": "https://ada.example",
        "profile": "https://gitlab.com/ada", "picture": "https://gitlab.com/uploads/ada.png",
        "groups": ["answerdotai", "answerdotai/research"], "groups_direct": ["answerdotai/research"],
        "https://gitlab.org/claims/groups/owner": ["answerdotai/research"],
        "https://gitlab.org/claims/groups/maintainer": [],
        "https://gitlab.org/claims/groups/developer": ["answerdotai"],
    })
}

/// Entra ID's v2.0 ID token example ("ID token claims reference"), plus the optional `email`.
fn entra_user() -> Value {
    json!({
        "aud": "6cb04018-a3f5-46a7-b995-940c78f5aef3",
        "iss": "https://login.microsoftonline.com/b9419818-09af-49c2-b0c3-653adc1f376e/v2.0",
        "iat": 1_452_285_331, "nbf": 1_452_285_331, "exp": 1_452_289_231, "name": "Abe Lincoln",
        "oid": "00000000-0000-0000-66f3-3332eca7ea81", "preferred_username": "AbeLi@microsoft.com",
        "rh": "I", "sub": "5_J9rSss8-jvt_Icu6ueRNL8xXb8LF4Fsg_KooC2RJQ",
        "tid": "b9419818-09af-49c2-b0c3-653adc1f376e", "uti": "Hu3Nc2dwbEa1pMrt8AbMAA", "ver": "2.0",
        "email": "AbeLi@microsoft.com", "roles": ["Admin"],
    })
}

/// OpenID Connect Core 5.3.2's user info example.
fn oidc_user(email_verified: Value) -> Value {
    json!({
        "sub": "248289761001", "name": "Jane Doe", "given_name": "Jane", "family_name": "Doe",
        "preferred_username": "j.doe", "email": "janedoe@example.com",
        "email_verified": email_verified, "picture": "http://example.com/janedoe/me.jpg",
    })
}

// ---------------------------------------------------------------------------------------------
// The views read the documented answers

#[test]
fn github_view_reads_the_integer_id_and_login() {
    let info = info_from("github", "id", github_user());
    let user = info.github().unwrap();
    assert_eq!(user.id, 1);
    assert_eq!(user.login, "octocat");
    assert_eq!(user.node_id.as_deref(), Some("MDQ6VXNlcjE="));
    assert_eq!(user.name.as_deref(), Some("monalisa octocat"));
    assert_eq!(user.email.as_deref(), Some("octocat@github.com"));
    assert_eq!(user.html_url.as_deref(), Some("https://github.com/octocat"));
    assert_eq!(user.kind.as_deref(), Some("User"));
    assert!(!user.site_admin);
    assert_eq!(user.created_at.as_deref(), Some("2008-01-14T04:33:35Z"));
    assert_eq!(info.ident, "1");
    assert!(info.oidc().is_none(), "GitHub's answer has no `sub`");
}

#[test]
fn google_view_reads_hd_and_email_verified() {
    let info = info_from("google", "sub", google_user(json!(true)));
    let user = info.google().unwrap();
    assert_eq!(user.sub, "110169484474386276334");
    assert_eq!(user.hd.as_deref(), Some("example.com"));
    assert!(user.email_verified);
    assert_eq!(user.given_name.as_deref(), Some("Ada"));
    assert_eq!(user.family_name.as_deref(), Some("Lovelace"));
    assert_eq!(user.locale.as_deref(), Some("en"));
    assert!(info.email_verified);
    assert_eq!(info.oidc().unwrap().sub, user.sub);
}

#[test]
fn discord_view_reads_the_snowflake_and_names() {
    let info = info_from("discord", "id", discord_user(json!(true)));
    let user = info.discord().unwrap();
    assert_eq!(user.id, "80351110224678912");
    assert_eq!(user.username, "nelly");
    assert_eq!(user.global_name.as_deref(), Some("Nelly"));
    assert_eq!(user.display_name(), "Nelly");
    assert_eq!(user.discriminator.as_deref(), Some("0"));
    assert!(user.verified);
    assert!(user.mfa_enabled);
    assert!(!user.bot);
    assert_eq!(user.premium_type, Some(1));
    assert!(
        user.avatar_url()
            .unwrap()
            .ends_with("/80351110224678912/8342729096ea3675442027381ff50dfe.png")
    );

    // Snowflakes sent as numbers read the same.
    let mut raw = discord_user(json!(true));
    raw["id"] = json!(80_351_110_224_678_912_u64);
    assert_eq!(
        info_from("discord", "id", raw).discord().unwrap().id,
        "80351110224678912"
    );
}

#[test]
fn huggingface_view_reads_pro_and_orgs() {
    let info = info_from("huggingface", "sub", huggingface_user(json!(true)));
    let user = info.huggingface().unwrap();
    assert_eq!(user.sub, "62f264b9f3c90f4b6514a269");
    assert_eq!(user.preferred_username.as_deref(), Some("ada"));
    assert!(user.is_pro);
    assert_eq!(user.can_pay, Some(false));
    assert!(user.email_verified);
    assert_eq!(user.orgs.len(), 1);
    let org = &user.orgs[0];
    assert_eq!(org.sub, "5e67bd5b1009063689407478");
    assert_eq!(org.preferred_username.as_deref(), Some("answerdotai"));
    assert!(org.is_enterprise);
    assert_eq!(org.role_in_org.as_deref(), Some("admin"));
    assert!(!org.pending_sso && !org.missing_mfa);
    assert_eq!(info.username.as_deref(), Some("ada"));
}

#[test]
fn apple_view_reads_string_flags() {
    let info = info_from("apple", "sub", apple_user(json!("true"), json!("true")));
    let user = info.apple().unwrap();
    assert_eq!(user.sub, "001234.abcdef0123456789abcdef0123456789.0123");
    assert!(user.email_verified);
    assert!(user.is_private_email);
    assert_eq!(user.real_user_status, Some(2));
    assert!(info.email_verified, "Apple's \"true\" is a yes");

    let user = info_from("apple", "sub", apple_user(json!(true), json!(false)))
        .apple()
        .unwrap();
    assert!(user.email_verified);
    assert!(!user.is_private_email);
    let user = info_from("apple", "sub", apple_user(json!(true), json!("false")))
        .apple()
        .unwrap();
    assert!(!user.is_private_email);
}

#[test]
fn gitlab_view_reads_nickname_and_groups() {
    let info = info_from("gitlab", "sub", gitlab_user(json!(true)));
    let user = info.gitlab().unwrap();
    assert_eq!(user.sub, "1234567");
    assert_eq!(user.nickname.as_deref(), Some("ada"));
    assert_eq!(user.groups, ["answerdotai", "answerdotai/research"]);
    assert_eq!(user.groups_direct, ["answerdotai/research"]);
    assert_eq!(user.owner_of, ["answerdotai/research"]);
    assert!(user.maintainer_of.is_empty());
    assert_eq!(user.developer_of, ["answerdotai"]);
    assert!(user.email_verified);
    assert!(info.email_verified);
}

#[test]
fn entra_view_reads_oid_tid_and_preferred_username() {
    let info = info_from("entra", "sub", entra_user());
    let user = info.entra().unwrap();
    assert_eq!(user.sub, "5_J9rSss8-jvt_Icu6ueRNL8xXb8LF4Fsg_KooC2RJQ");
    assert_eq!(
        user.oid.as_deref(),
        Some("00000000-0000-0000-66f3-3332eca7ea81")
    );
    assert_eq!(
        user.tid.as_deref(),
        Some("b9419818-09af-49c2-b0c3-653adc1f376e")
    );
    assert_eq!(
        user.preferred_username.as_deref(),
        Some("AbeLi@microsoft.com")
    );
    assert_eq!(user.roles, ["Admin"]);
    assert!(!user.is_personal_account());
}

#[test]
fn oidc_view_reads_the_standard_claims_of_any_provider() {
    let info = info_from("oidc", "sub", oidc_user(json!(true)));
    let claims = info.oidc().unwrap();
    assert_eq!(claims.sub, "248289761001");
    assert_eq!(claims.preferred_username.as_deref(), Some("j.doe"));
    assert_eq!(claims.given_name.as_deref(), Some("Jane"));
    assert!(claims.email_verified);
    // The other OpenID providers' answers carry the standard claims too.
    for (provider, raw) in [
        ("google", google_user(json!(true))),
        ("huggingface", huggingface_user(json!(true))),
        ("apple", apple_user(json!("true"), json!("false"))),
        ("gitlab", gitlab_user(json!(true))),
        ("entra", entra_user()),
        ("auth0", oidc_user(json!(true))),
    ] {
        assert!(
            info_from(provider, "sub", raw).oidc().is_some(),
            "{provider}"
        );
    }
    assert!(
        info_from("discord", "id", discord_user(json!(true)))
            .oidc()
            .is_none()
    );
}

// ---------------------------------------------------------------------------------------------
// Unverified stays unverified

/// Each flag value that is not a yes.
fn not_yes() -> [Value; 6] {
    [
        json!(false),
        json!("false"),
        json!("True"),
        json!(1),
        Value::Null,
        json!({}),
    ]
}

#[test]
fn google_unverified_email_is_not_verified() {
    for flag in not_yes() {
        let info = info_from("google", "sub", google_user(flag.clone()));
        assert!(!info.email_verified, "{flag}");
        assert!(info.verified_email_domain().is_none(), "{flag}");
        let user = info.google().unwrap();
        assert!(!user.email_verified, "{flag}");
        assert_eq!(
            user.hd.as_deref(),
            Some("example.com"),
            "hd says nothing about the email"
        );
    }
    let mut raw = google_user(json!(true));
    raw.as_object_mut().unwrap().remove("email_verified");
    assert!(!info_from("google", "sub", raw).email_verified);
}

#[test]
fn huggingface_unverified_email_is_not_verified() {
    for flag in not_yes() {
        let info = info_from("huggingface", "sub", huggingface_user(flag.clone()));
        assert!(!info.email_verified, "{flag}");
        assert!(!info.huggingface().unwrap().email_verified, "{flag}");
    }
}

#[test]
fn oidc_unverified_email_is_not_verified() {
    for flag in not_yes() {
        let info = info_from("oidc", "sub", oidc_user(flag.clone()));
        assert!(!info.email_verified, "{flag}");
        assert!(!info.oidc().unwrap().email_verified, "{flag}");
    }
    let mut raw = oidc_user(json!(true));
    raw.as_object_mut().unwrap().remove("email_verified");
    assert!(
        !info_from("oidc", "sub", raw).email_verified,
        "absent is no"
    );
}

#[test]
fn apple_unverified_email_is_not_verified() {
    for flag in not_yes() {
        let info = info_from("apple", "sub", apple_user(flag.clone(), json!("false")));
        assert!(!info.email_verified, "{flag}");
        assert!(!info.apple().unwrap().email_verified, "{flag}");
    }
}

#[test]
fn gitlab_unverified_email_is_not_verified() {
    for flag in not_yes() {
        let info = info_from("gitlab", "sub", gitlab_user(flag.clone()));
        assert!(!info.email_verified, "{flag}");
        assert!(!info.gitlab().unwrap().email_verified, "{flag}");
    }
}

#[test]
fn entra_email_is_not_verified_without_xms_edov() {
    // Entra ID sends no `email_verified`: its `email` is whatever the tenant typed. (The login's
    // Entra fixup in `client.rs` accepts the optional `xms_edov` claim instead.)
    let info = info_from("entra", "sub", entra_user());
    assert_eq!(info.email.as_deref(), Some("AbeLi@microsoft.com"));
    assert!(!info.email_verified);
    assert!(info.verified_email_domain().is_none());
    assert!(!info.entra().unwrap().xms_edov);

    for flag in not_yes() {
        let mut raw = entra_user();
        raw["xms_edov"] = flag.clone();
        assert!(
            !info_from("entra", "sub", raw).entra().unwrap().xms_edov,
            "{flag}"
        );
    }
    let mut raw = entra_user();
    raw["xms_edov"] = json!(true);
    assert!(info_from("entra", "sub", raw).entra().unwrap().xms_edov);
}

#[test]
fn discord_unverified_flag_reads_as_false() {
    // Discord documents a boolean; the login reads only `true` (see `client.rs`), so does the view.
    for flag in not_yes().into_iter().chain([json!("true")]) {
        let info = info_from("discord", "id", discord_user(flag.clone()));
        assert!(!info.discord().unwrap().verified, "{flag}");
        // `from_claims` alone: Discord has no `email_verified`; the login's Discord fixup reads
        // `verified` (see `discord_login_maps_verified` below).
        assert!(!info.email_verified, "{flag}");
    }
}

#[test]
fn github_profile_email_alone_is_not_verified() {
    let info = info_from("github", "id", github_user());
    assert_eq!(info.email.as_deref(), Some("octocat@github.com"));
    assert!(!info.email_verified);
}

#[test]
fn a_verified_flag_without_an_email_verifies_nothing() {
    let info = info_from("oidc", "sub", json!({ "sub": "1", "email_verified": true }));
    assert!(!info.email_verified);
    let info = info_from(
        "oidc",
        "sub",
        json!({ "sub": "1", "email": null, "email_verified": true }),
    );
    assert!(!info.email_verified);
}

// ---------------------------------------------------------------------------------------------
// Which view, and tolerance

#[test]
fn views_of_another_provider_are_none() {
    let github = info_from("github", "id", github_user());
    assert!(github.google().is_none());
    assert!(github.discord().is_none());
    assert!(github.huggingface().is_none());
    assert!(github.apple().is_none());
    assert!(github.gitlab().is_none());
    assert!(github.entra().is_none());

    let google = info_from("google", "sub", google_user(json!(true)));
    assert!(google.github().is_none());
    assert!(google.huggingface().is_none(), "same shape, other provider");

    let unknown = UserInfo::from_claims("id", github_user()).unwrap();
    assert_eq!(unknown.provider, "");
    assert!(unknown.github().is_none());
}

#[test]
fn views_without_the_id_are_none() {
    let mut raw = github_user();
    raw["id"] = json!("not-a-number");
    raw["node_id"] = json!(1);
    let info = UserInfo {
        raw,
        ..info_from("github", "id", github_user())
    };
    assert!(info.github().is_none());

    let info = UserInfo {
        raw: json!({ "id": "1" }),
        ..info_from("discord", "id", discord_user(json!(true)))
    };
    assert!(info.discord().is_none(), "Discord's `username` is required");

    let info = UserInfo {
        raw: json!(["not", "an", "object"]),
        ..info_from("oidc", "sub", oidc_user(json!(true)))
    };
    assert!(info.oidc().is_none());
}

#[test]
fn stray_types_lose_the_field_not_the_view() {
    let mut raw = google_user(json!(true));
    raw["locale"] = json!({ "language": "en" });
    raw["hd"] = json!(42);
    let user = info_from("google", "sub", raw).google().unwrap();
    assert_eq!(user.locale, None);
    assert_eq!(user.hd, None);
    assert!(user.email_verified);

    let mut raw = gitlab_user(json!(true));
    raw["groups"] = json!(["answerdotai", 7, null]);
    raw["groups_direct"] = json!("answerdotai");
    let user = info_from("gitlab", "sub", raw).gitlab().unwrap();
    assert_eq!(user.groups, ["answerdotai"]);
    assert!(user.groups_direct.is_empty());

    let mut raw = github_user();
    raw["id"] = json!("583231");
    raw["created_at"] = Value::Null;
    let user = info_from("github", "id", raw).github().unwrap();
    assert_eq!(user.id, 583_231);
    assert_eq!(user.created_at, None);
}

#[test]
fn user_info_round_trips_and_reads_old_records() {
    let info = info_from("huggingface", "sub", huggingface_user(json!(true)));
    let text = serde_json::to_string(&info).unwrap();
    let back: UserInfo = serde_json::from_str(&text).unwrap();
    assert_eq!(back, info);
    assert_eq!(back.huggingface(), info.huggingface());

    // Written before `provider` existed.
    let mut old = serde_json::to_value(&info).unwrap();
    old.as_object_mut().unwrap().remove("provider");
    let old: UserInfo = serde_json::from_value(old).unwrap();
    assert_eq!(old.provider, "");
    assert!(old.huggingface().is_none());
    assert!(old.oidc().is_some());
}

#[test]
fn views_serialize_and_read_back() {
    let user = info_from("discord", "id", discord_user(json!(true)))
        .discord()
        .unwrap();
    assert!(user.verified);
    let back: DiscordUser = serde_json::from_value(serde_json::to_value(&user).unwrap()).unwrap();
    assert_eq!(back, user);
}

// ---------------------------------------------------------------------------------------------
// Through a login: the client marks the provider and applies its email rule

/// Serves `routes` on 127.0.0.1 and returns the base URL.
async fn serve(routes: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, routes).await.unwrap() });
    base
}

fn token() -> Json<Value> {
    Json(json!({ "access_token": "the-access-token", "token_type": "bearer", "scope": "" }))
}

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

async fn login(client: &Client) -> UserInfo {
    client
        .exchange_code(
            "code",
            "http://localhost:8000/redirect",
            VERIFIER,
            None,
            None,
        )
        .await
        .unwrap()
        .0
}

/// GitHub with `/user/emails` answering `emails`.
async fn github_login(emails: Value) -> UserInfo {
    let routes = Router::new()
        .route("/login/oauth/access_token", post(|| async { token() }))
        .route("/api/v3/user", get(|| async { Json(github_user()) }))
        .route(
            "/api/v3/user/emails",
            get(move || async move { Json(emails) }),
        );
    let client: Client = GitHubAppClient::new("id", "secret")
        .with_endpoints(&serve(routes).await)
        .unwrap()
        .into();
    login(&client).await
}

#[tokio::test]
async fn github_login_verifies_the_email_with_the_email_list() {
    let info = github_login(json!([
        { "email": "octocat@github.com", "primary": true, "verified": true, "visibility": "public" },
    ]))
    .await;
    assert_eq!(info.provider, "github");
    assert_eq!(info.github().unwrap().login, "octocat");
    assert!(info.email_verified);
}

#[tokio::test]
async fn github_login_with_unverified_emails_is_not_verified() {
    let info = github_login(json!([
        { "email": "octocat@github.com", "primary": true, "verified": false, "visibility": "public" },
        { "email": "other@example.com", "primary": false, "verified": true, "visibility": null },
    ]))
    .await;
    assert_eq!(info.email.as_deref(), Some("octocat@github.com"));
    assert!(
        !info.email_verified,
        "neither public nor primary is verified"
    );
    assert_eq!(info.github().unwrap().id, 1);
}

/// Discord with `/users/@me` answering `verified`.
async fn discord_login(verified: Value) -> UserInfo {
    let routes = Router::new()
        .route("/api/oauth2/token", post(|| async { token() }))
        .route(
            "/api/users/@me",
            get(move || async move { Json(discord_user(verified)) }),
        );
    let client: Client = DiscordAppClient::new("id", "secret")
        .with_endpoints(&serve(routes).await)
        .unwrap()
        .into();
    login(&client).await
}

#[tokio::test]
async fn discord_login_maps_verified() {
    let info = discord_login(json!(true)).await;
    assert_eq!(info.provider, "discord");
    assert!(info.email_verified);
    assert_eq!(info.discord().unwrap().username, "nelly");
    for flag in [json!(false), json!("true"), Value::Null] {
        let info = discord_login(flag.clone()).await;
        assert!(!info.email_verified, "{flag}");
    }
}
