//! [`Hook`] -> an impl of the hook's runtime trait for the auth struct: a boxed future that calls
//! the user's function with the arguments it names and converts its answer.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Type};

use super::kind::{Contract, Kind, Source};
use super::sig::{Arg, Hook};
use crate::output::private;

/// `auth` and `output`: the hook's, known once the analysis reported no error.
pub(super) fn hook_impl(hook: &Hook, auth: &Type, output: &Type) -> TokenStream {
    let p = private();
    let return_span = output.span();
    let Contract {
        trait_path,
        method,
        context,
        output: method_output,
        convert,
        ..
    } = hook.kind.contract(return_span);
    let func = hook.func;
    let args = hook.args.iter().map(argument);
    let call = if hook.is_async {
        quote!(#func(#(#args),*).await)
    } else {
        quote!(#func(#(#args),*))
    };
    // The conversion is spanned at the return type, its argument too, so rustc reports a return
    // type that does not convert there rather than at the attribute.
    let answer = Ident::new("answer", Span::call_site());
    let answer_at_return = Ident::new("answer", return_span);
    // `_` when no argument reads the context: no unused variable in the user's crate.
    let cx = if hook
        .args
        .iter()
        .any(|a| matches!(a.param.source, Source::Context { .. }))
    {
        quote!(cx)
    } else {
        quote!(_)
    };
    let convert = quote_spanned!(return_span=> #convert(#answer_at_return));
    // Spanned at the function's name, the path too (an interpolated path would keep the
    // attribute's span): a future that is not `Send` is reported there.
    let future = quote_spanned! {func.span()=>
        ::axum_oauth_login::__private_v0_1::Box::pin(async move {
            let #answer = #call;
            #convert
        })
    };
    quote! {
        #[automatically_derived]
        impl #trait_path for #auth {
            fn #method<'a>(&'a self, #cx: &'a #context) -> #p::BoxFuture<'a, #method_output> {
                #future
            }
        }
    }
}

/// The value passed for one parameter, checked against the user's type at its tokens.
fn argument(arg: &Arg) -> TokenStream {
    let ty = arg.ty;
    match &arg.param.source {
        Source::Auth => quote!(self),
        Source::Context { conversion, value } => {
            let p = private();
            let span = ty.span();
            let conversion = Ident::new(conversion, span);
            let value = value();
            quote_spanned!(span=> <#ty as #p::#conversion<'_>>::from_ref(#value))
        }
    }
}

/// Emitted next to the errors: the struct still has this hook, so only the attribute's own
/// errors show.
pub(super) fn stub(kind: Kind, auth: &Type) -> TokenStream {
    let p = private();
    let Contract {
        trait_path,
        method,
        context,
        output,
        fallback,
        ..
    } = kind.contract(Span::call_site());
    quote! {
        #[automatically_derived]
        impl #trait_path for #auth {
            fn #method<'a>(&'a self, _: &'a #context) -> #p::BoxFuture<'a, #output> {
                #p::Box::pin(async move { #fallback })
            }
        }
    }
}
