//! [`Config`] -> the `OAuth` impl: the configuration as a constant, and the optional hooks found
//! by the runtime's `Probe` (autoref specialization, which needs the concrete struct type).

use proc_macro2::TokenStream;
use quote::quote;

use super::Target;
use super::check::Config;
use crate::output::private;

pub(super) fn oauth_impl(target: &Target, config: &Config) -> TokenStream {
    let p = private();
    let ident = target.ident;
    let Config {
        provider,
        redirect,
        error,
        logout,
        login,
        skip,
        public,
    } = config;
    quote! {
        #[automatically_derived]
        impl #p::OAuth for #ident {
            const CONFIG: #p::Config = #p::Config {
                provider: #provider,
                redirect: #redirect,
                error: #error,
                logout: #logout,
                login: #login,
                skip: &[#(#skip),*],
                public: &[#(#public),*],
            };
            fn hooks() -> #p::Hooks<Self> {
                #[allow(unused_imports)]
                use #p::{HasCheckInvalid as _, HasLogout as _, NoCheckInvalid as _, NoLogout as _};
                #p::Hooks {
                    check_invalid: (&&#p::Probe::<Self>::NEW).check_invalid_hook(),
                    logout: (&&#p::Probe::<Self>::NEW).logout_hook(),
                }
            }
        }
    }
}

/// Emitted next to the errors: the struct is still an `OAuth` type, so code using it compiles
/// and only the attribute's own errors show.
pub(super) fn stub(target: &Target) -> TokenStream {
    let p = private();
    let ident = target.ident;
    quote! {
        #[automatically_derived]
        impl #p::OAuth for #ident {
            const CONFIG: #p::Config = #p::Config::DEFAULT;
            fn hooks() -> #p::Hooks<Self> {
                #p::Hooks {
                    check_invalid: #p::Option::None,
                    logout: #p::Option::None,
                }
            }
        }
    }
}
