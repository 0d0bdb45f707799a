//! What every expansion shares.

use proc_macro2::TokenStream;
use quote::quote;

/// `::axum_oauth_login::__private_v0_1`: the only way generated code names runtime (and std) items, so a
/// user's own `Result`, `Option` or `Box` cannot break an expansion.
pub(crate) fn private() -> TokenStream {
    quote!(::axum_oauth_login::__private_v0_1)
}

/// Prints the expansion to stderr when `OAUTH_MACROS_DEBUG=1` (at compile time: touch the file or
/// `cargo clean -p` the crate to see it again, as cargo caches compiled crates).
pub(crate) fn debug(attribute: &str, expansion: TokenStream) -> TokenStream {
    if std::env::var_os("OAUTH_MACROS_DEBUG").is_some_and(|v| v == "1") {
        eprintln!("#[{attribute}] expands to:\n{expansion}\n");
    }
    expansion
}
