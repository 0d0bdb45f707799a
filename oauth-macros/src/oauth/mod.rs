//! `#[oauth(...)]` on a struct: arguments -> [`attr::Args`] -> [`check::Config`] -> an `OAuth` impl.

mod attr;
mod check;
mod expand;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Generics, Ident, Item};

use crate::errors::{Errors, item_head};

/// The struct `#[oauth]` is on.
struct Target<'a> {
    ident: &'a Ident,
    generics: &'a Generics,
}

/// Expands `#[oauth(args)] item`. Always re-emits the item; on error, adds the errors and a stub
/// impl so that uses of the struct do not pile up follow-on errors.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let config = attr::parse(args.clone(), &mut errors)
        .map(|parsed| check::check(&parsed, &args, &mut errors));
    let mut parsed = errors.parse(syn::parse2::<Item>(item.clone()));
    // A second `#[oauth]` is reported here and removed, so it does not expand into a second impl.
    let item = match parsed.as_mut().map(|item| second_oauth(item, &mut errors)) {
        Some(true) => quote!(#parsed),
        _ => item,
    };
    let target = parsed.as_ref().and_then(|item| target(item, &mut errors));
    let generated = match (errors.finish(), &config, &target) {
        (Ok(()), Some(config), Some(target)) => expand::oauth_impl(target, config),
        (result, _, target) => {
            let errors = result.err().map(|e| e.to_compile_error());
            let stub = target
                .as_ref()
                .filter(|t| t.generics.params.is_empty())
                .map(expand::stub);
            quote!(#errors #stub)
        }
    };
    quote!(#item #generated)
}

/// Reports and removes further `#[oauth]` attributes on the item (the first one is expanding
/// now). `true` when there were some.
fn second_oauth(item: &mut Item, errors: &mut Errors) -> bool {
    let attrs = match item {
        Item::Struct(s) => &mut s.attrs,
        Item::Enum(e) => &mut e.attrs,
        Item::Union(u) => &mut u.attrs,
        _ => return false,
    };
    let before = attrs.len();
    attrs.retain(|attr| {
        let is_oauth = attr
            .path()
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "oauth");
        if is_oauth {
            errors.spanned(
                attr,
                "a second `#[oauth]` on this struct: one struct has one `#[oauth(...)]`; merge the keys into the first, or declare another struct for another provider",
            );
        }
        !is_oauth
    });
    attrs.len() != before
}

/// The struct's name and generics. Enums and unions are reported but still get a stub impl (they
/// are types); other items get none.
fn target<'a>(item: &'a Item, errors: &mut Errors) -> Option<Target<'a>> {
    let not_a_struct =
        "`#[oauth]` must be on a struct, e.g. `#[oauth(provider = \"github\")] struct Auth;`";
    let (ident, generics) = match item {
        Item::Struct(s) => (&s.ident, &s.generics),
        Item::Enum(e) => {
            errors.spanned(item_head(item), not_a_struct);
            (&e.ident, &e.generics)
        }
        Item::Union(u) => {
            errors.spanned(item_head(item), not_a_struct);
            (&u.ident, &u.generics)
        }
        other => {
            errors.spanned(item_head(other), not_a_struct);
            return None;
        }
    };
    if !generics.params.is_empty() {
        errors.spanned(
            generics,
            "`#[oauth]` structs cannot have generic parameters or lifetimes",
        );
    } else if let Some(where_clause) = &generics.where_clause {
        errors.spanned(
            where_clause,
            "`#[oauth]` structs cannot have a `where` clause",
        );
    }
    Some(Target { ident, generics })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expansion, and how many errors it carries.
    fn expanded(args: TokenStream, item: TokenStream) -> (String, usize) {
        let out = expand(args, item).to_string();
        let errors = out.matches("compile_error").count();
        (out, errors)
    }

    #[test]
    fn valid_struct_gets_the_impl() {
        let (out, errors) = expanded(
            quote!(provider = "github"),
            quote!(
                struct Auth;
            ),
        );
        assert_eq!(errors, 0);
        assert!(out.starts_with("struct Auth ;"), "{out}");
        assert!(out.contains("impl :: axum_oauth_login :: __private_v0_1 :: OAuth for Auth"));
        assert!(out.contains("check_invalid_hook"));
    }

    #[test]
    fn a_second_oauth_is_reported_and_removed() {
        let (out, errors) = expanded(
            quote!(provider = "github"),
            quote!(
                #[derive(Debug)]
                #[axum_oauth_login::oauth(provider = "google")]
                struct Auth;
            ),
        );
        assert_eq!(errors, 1, "{out}");
        assert!(out.contains("a second `#[oauth]` on this struct"), "{out}");
        assert!(out.starts_with("# [derive (Debug)] struct Auth ;"), "{out}");
        assert_eq!(out.matches("OAuth for Auth").count(), 1, "{out}");
    }

    #[test]
    fn errors_keep_the_item_and_add_a_stub() {
        let item = quote!(
            struct Auth;
        );
        let (out, errors) = expanded(
            quote!(provider = "gihub", redirct = "/r", skip = ["("]),
            item,
        );
        assert_eq!(errors, 3, "{out}");
        assert!(out.starts_with("struct Auth ;"), "{out}");
        assert!(out.contains("Config :: DEFAULT"), "{out}");
    }

    #[test]
    fn only_structs() {
        let (out, errors) = expanded(
            quote!(provider = "dev"),
            quote!(
                enum Auth {
                    A,
                }
            ),
        );
        assert_eq!(errors, 1);
        assert!(
            out.contains("OAuth for Auth"),
            "an enum is a type: it gets the stub"
        );
        let (out, errors) = expanded(
            quote!(provider = "dev"),
            quote!(
                fn auth() {}
            ),
        );
        assert_eq!(errors, 1);
        assert!(!out.contains("impl"), "{out}");
    }

    #[test]
    fn no_generics() {
        for item in [
            quote!(
                struct Auth<T>(T);
            ),
            quote!(
                struct Auth<'a>(&'a str);
            ),
        ] {
            let (out, errors) = expanded(quote!(provider = "dev"), item);
            assert_eq!(errors, 1, "{out}");
            // A stub for a generic struct would itself fail to compile.
            assert!(!out.contains("impl"), "{out}");
        }
        let (out, errors) = expanded(
            quote!(provider = "dev"),
            quote!(
                struct Auth
                where
                    u8: Copy;
            ),
        );
        assert!(out.contains("cannot have a `where` clause"), "{out}");
        assert_eq!(errors, 1, "{out}");
    }

    #[test]
    fn attribute_and_item_errors_together() {
        let (_, errors) = expanded(
            quote!(provider = "x"),
            quote!(
                struct Auth<T>(T);
            ),
        );
        assert_eq!(errors, 2);
    }
}
