//! The expansions name nothing through the user's scope: they compile next to types that shadow
//! the prelude, and in a module without the prelude at all, warning-free.
#![deny(warnings)]

mod shadowing {
    #![allow(dead_code, non_camel_case_types)]

    use ::axum_oauth_login::{check_invalid, get_auth, logout, oauth};

    pub struct Result;
    pub struct Option;
    pub struct Some;
    pub struct None;
    pub struct Box;
    pub struct String;
    pub struct Send;
    pub struct Sync;
    pub struct str;
    pub struct core;
    pub struct std;
    pub struct axum_oauth_login;
    pub struct Response;
    pub struct Config;
    pub struct Hooks;
    pub struct Probe;
    pub struct IntoResponse;
    pub struct IntoDecision;
    pub struct InfoParam;
    pub struct BoxFuture;

    #[oauth(provider = "dev", skip = ["/public"])]
    pub struct Auth;

    #[get_auth]
    async fn get_auth(
        info: &::axum_oauth_login::UserInfo,
        ident: &::core::primitive::str,
        session: &::axum_oauth_login::Session,
        state: ::core::option::Option<&::core::primitive::str>,
        oauth: &Auth,
    ) -> ::core::option::Option<::axum::response::Redirect> {
        let _ = (info, ident, session, state, oauth);
        ::core::option::Option::None
    }

    #[check_invalid]
    fn check_invalid(
        req: &::http::request::Parts,
        session: &::axum_oauth_login::Session,
        auth: &::core::primitive::str,
        oauth: &Auth,
    ) -> ::core::primitive::bool {
        let _ = (req, session, auth, oauth);
        false
    }

    #[logout]
    fn logout(
        session: &::axum_oauth_login::Session,
        auth: ::core::option::Option<&::core::primitive::str>,
        oauth: &Auth,
    ) -> ::axum::response::Redirect {
        let _ = (session, auth, oauth);
        ::axum::response::Redirect::to("/")
    }
}

mod no_prelude {
    #![no_implicit_prelude]

    use ::axum_oauth_login::{check_invalid, get_auth, logout, oauth};

    #[oauth(provider = "dev")]
    pub struct Auth;

    #[get_auth]
    fn get_auth(
        info: ::axum_oauth_login::UserInfo,
    ) -> ::core::option::Option<&'static ::core::primitive::str> {
        let _ = info;
        ::core::option::Option::Some("welcome")
    }

    #[check_invalid]
    async fn check_invalid() -> ::core::option::Option<::axum::response::Redirect> {
        ::core::option::Option::None
    }

    #[logout]
    async fn logout(
        auth: ::core::option::Option<::std::string::String>,
    ) -> &'static ::core::primitive::str {
        let _ = auth;
        "bye"
    }
}

fn main() {
    let _ = (shadowing::Auth, no_prelude::Auth);
    assert!(
        <shadowing::Auth as axum_oauth_login::OAuth>::hooks()
            .check_invalid
            .is_some()
    );
    assert!(
        <no_prelude::Auth as axum_oauth_login::OAuth>::hooks()
            .logout
            .is_some()
    );
}
