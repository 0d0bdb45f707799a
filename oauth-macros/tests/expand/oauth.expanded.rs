/// Every key given.
pub struct Auth {
    banned: Vec<String>,
}
#[automatically_derived]
impl ::oauth_runtime::__private::OAuth for Auth {
    const CONFIG: ::oauth_runtime::__private::Config = ::oauth_runtime::__private::Config {
        provider: "github",
        redirect: "/auth/callback",
        error: "/auth/error",
        logout: "/auth/logout",
        login: "/auth/login",
        skip: &[r"/static/.*"],
        public: &["/", r"/blog/.*"],
    };
    fn hooks() -> ::oauth_runtime::__private::Hooks<Self> {
        #[allow(unused_imports)]
        use ::oauth_runtime::__private::{
            HasCheckInvalid as _, HasLogout as _, NoCheckInvalid as _, NoLogout as _,
        };
        ::oauth_runtime::__private::Hooks {
            check_invalid: (&&::oauth_runtime::__private::Probe::<Self>::NEW)
                .check_invalid_hook(),
            logout: (&&::oauth_runtime::__private::Probe::<Self>::NEW).logout_hook(),
        }
    }
}
