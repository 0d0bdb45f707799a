struct Auth;
#[automatically_derived]
impl ::axum_oauth_login::__private_v0_1::OAuth for Auth {
    const CONFIG: ::axum_oauth_login::__private_v0_1::Config = ::axum_oauth_login::__private_v0_1::Config {
        provider: "dev",
        redirect: "/redirect",
        error: "/error",
        logout: "/logout",
        login: "/login",
        skip: &[],
        public: &[],
    };
    fn hooks() -> ::axum_oauth_login::__private_v0_1::Hooks<Self> {
        #[allow(unused_imports)]
        use ::axum_oauth_login::__private_v0_1::{
            HasCheckInvalid as _, HasLogout as _, NoCheckInvalid as _, NoLogout as _,
        };
        ::axum_oauth_login::__private_v0_1::Hooks {
            check_invalid: (&&::axum_oauth_login::__private_v0_1::Probe::<Self>::NEW)
                .check_invalid_hook(),
            logout: (&&::axum_oauth_login::__private_v0_1::Probe::<Self>::NEW)
                .logout_hook(),
        }
    }
}
