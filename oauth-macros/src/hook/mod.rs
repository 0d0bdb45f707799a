//! `#[get_auth]`, `#[check_invalid]` and `#[logout]` on a function: one signature analysis
//! ([`sig`]) against one table of parameters ([`kind`]), then an adapter impl ([`expand`]).

mod expand;
pub(crate) mod kind;
mod placement;
mod sig;

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{ParseStream, Parser};
use syn::{Item, TypePath};

use crate::errors::{Errors, item_head};
pub(crate) use kind::Kind;
use sig::Hook;

/// Expands `#[<kind>(args)] item`. Always re-emits the item; on error, adds the errors and, when
/// the auth struct is known, a stub impl so the struct still counts as having this hook.
pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let attr_auth = parse_args(kind, args).map_err(|e| errors.push(e));
    let func = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(func)) => Some(func),
        Ok(other) => {
            errors.spanned(
                item_head(&other),
                format!("`#[{}]` must be on a function", kind.name()),
            );
            None
        }
        Err(error) => {
            errors.push(error);
            None
        }
    };
    // A method gets this one error and nothing generated: an impl emitted inside an impl block
    // would add rustc's complaint about it.
    if let Some(block) = func.as_ref().and_then(placement::enclosing_block) {
        let func = func.as_ref().map(|f| &f.sig.ident);
        errors.spanned(
            func,
            format!(
                "`#[{0}]` is on a method of `{block} {{ ... }}`: a hook is a free function; move it out of the block, next to the struct (it takes the struct as `oauth: &Auth` if it needs it)",
                kind.name()
            ),
        );
        let errors = errors.finish().err().map(|e| e.to_compile_error());
        return quote!(#item #errors);
    }
    let hook = func
        .as_ref()
        .map(|func| sig::analyze(kind, func, attr_auth, &mut errors));
    let generated = match (errors.finish(), &hook) {
        (
            Ok(()),
            Some(
                hook @ Hook {
                    auth: Some(auth),
                    output: Some(output),
                    ..
                },
            ),
        ) => expand::hook_impl(hook, auth, output),
        (result, hook) => {
            let errors = result.err().map(|e| e.to_compile_error());
            let stub = hook
                .as_ref()
                .and_then(|h| h.auth.as_ref())
                .map(|auth| expand::stub(kind, auth));
            quote!(#errors #stub)
        }
    };
    quote!(#item #generated)
}

/// Nothing, or the auth struct: `#[get_auth(MyAuth)]`.
fn parse_args(kind: Kind, args: TokenStream) -> syn::Result<Option<TypePath>> {
    let expected = format!("expected the auth struct, e.g. `#[{}(Auth)]`", kind.name());
    let parser = |input: ParseStream| {
        if input.is_empty() {
            return Ok(None);
        }
        let start = input.span();
        let path = match input.parse::<TypePath>() {
            Ok(path) if path.qself.is_none() => path,
            Ok(path) => return Err(syn::Error::new_spanned(path, &expected)),
            Err(_) => return Err(syn::Error::new(start, &expected)),
        };
        if !input.is_empty() {
            return Err(input.error(&expected));
        }
        Ok(Some(path))
    };
    parser.parse2(args)
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    use super::*;

    fn expanded(kind: Kind, args: TokenStream, item: TokenStream) -> (String, usize) {
        let out = expand(kind, args, item).to_string();
        let errors = out.matches("compile_error").count();
        (out, errors)
    }

    #[test]
    fn attribute_argument() {
        let parse = |args: TokenStream| {
            parse_args(Kind::GetAuth, args)
                .map(|p| p.map(|p| p.to_token_stream().to_string()))
                .map_err(|e| e.to_string())
        };
        assert_eq!(parse(quote!()), Ok(None));
        assert_eq!(parse(quote!(MyAuth)), Ok(Some("MyAuth".into())));
        assert_eq!(
            parse(quote!(crate::auth::MyAuth)),
            Ok(Some("crate :: auth :: MyAuth".into()))
        );
        let expected = Err("expected the auth struct, e.g. `#[get_auth(Auth)]`".to_owned());
        assert_eq!(parse(quote!("Auth")), expected);
        assert_eq!(parse(quote!(Auth, Other)), expected);
        assert_eq!(parse(quote!(oauth = Auth)), expected);
        assert_eq!(parse(quote!(<T as X>::Auth)), expected);
    }

    #[test]
    fn valid_hooks_get_their_impl() {
        let cases = [
            (
                Kind::GetAuth,
                "GetAuth",
                quote!(
                    fn f() -> Option<Redirect> {
                        None
                    }
                ),
            ),
            (
                Kind::CheckInvalid,
                "CheckInvalid",
                quote!(
                    async fn f() -> bool {
                        false
                    }
                ),
            ),
            (
                Kind::Logout,
                "Logout",
                quote!(
                    fn f() -> Redirect {
                        Redirect::to("/")
                    }
                ),
            ),
        ];
        for (kind, trait_name, item) in cases {
            let (out, errors) = expanded(kind, quote!(), item);
            assert_eq!(errors, 0, "{out}");
            assert!(
                out.split("impl").next().unwrap().contains("fn f"),
                "item first: {out}"
            );
            assert!(
                out.contains(&format!("__private_v0_1 :: {trait_name} for Auth")),
                "{out}"
            );
        }
    }

    #[test]
    fn errors_keep_the_function_and_add_a_stub() {
        let (out, errors) = expanded(
            Kind::GetAuth,
            quote!(),
            quote!(
                fn f(inf: &UserInfo, sesion: &Session) {}
            ),
        );
        assert_eq!(errors, 3, "two names and the return type: {out}");
        assert!(out.starts_with("fn f"), "{out}");
        assert!(out.contains("Decision :: Deny"), "the stub: {out}");
    }

    #[test]
    fn no_stub_where_it_cannot_compile() {
        // Not a function: the struct is unknown.
        let (out, errors) = expanded(
            Kind::Logout,
            quote!(),
            quote!(
                struct Auth;
            ),
        );
        assert_eq!(errors, 1);
        assert!(!out.contains("impl"), "{out}");
        // A method: an impl cannot follow it inside its impl block.
        let (out, errors) = expanded(
            Kind::GetAuth,
            quote!(),
            quote!(
                fn f(&self) -> Option<Redirect> {
                    None
                }
            ),
        );
        assert_eq!(errors, 1);
        assert!(!out.contains("impl"), "{out}");
        // A bad attribute argument: the struct is unknown.
        let (out, errors) = expanded(
            Kind::GetAuth,
            quote!(1),
            quote!(
                fn f() -> Option<Redirect> {
                    None
                }
            ),
        );
        assert_eq!(errors, 1);
        assert!(!out.contains("impl"), "{out}");
    }
}
