//! Signature analysis shared by the three hooks: the user's function -> [`Hook`], the parameters it
//! names (matched against [`Kind::params`]), its return type and the auth struct it belongs to.

use proc_macro2::Span;
use quote::ToTokens;
use syn::{FnArg, Ident, ItemFn, Pat, ReturnType, Type, TypePath, TypeReference};

use super::kind::{Kind, Param, Source};
use crate::errors::{Errors, suggest};

/// A hook function, as the expansion needs it.
pub(crate) struct Hook<'a> {
    pub(crate) kind: Kind,
    /// The function's name, to call it.
    pub(crate) func: &'a Ident,
    pub(crate) is_async: bool,
    /// The parameters, in the function's order.
    pub(crate) args: Vec<Arg<'a>>,
    /// `None` when missing (reported).
    pub(crate) output: Option<&'a Type>,
    /// The auth struct the hook is for. `None` when it cannot be told, or the function is a method
    /// (both reported).
    pub(crate) auth: Option<Type>,
}

/// One parameter of the function.
pub(crate) struct Arg<'a> {
    pub(crate) param: &'static Param,
    /// The user's type: conversions are checked against it, at its tokens.
    pub(crate) ty: &'a Type,
}

/// `attr_auth`: the struct named in the attribute, `#[get_auth(MyAuth)]`. `Err(())` when the
/// attribute's argument was invalid (reported).
pub(crate) fn analyze<'a>(
    kind: Kind,
    func: &'a ItemFn,
    attr_auth: Result<Option<TypePath>, ()>,
    errors: &mut Errors,
) -> Hook<'a> {
    let sig = &func.sig;
    let attr = kind.name();
    if let Some(unsafety) = &sig.unsafety {
        errors.spanned(
            unsafety,
            format!("`#[{attr}]` functions cannot be `unsafe`"),
        );
    }
    if !sig.generics.params.is_empty() {
        errors.spanned(
            &sig.generics,
            format!("`#[{attr}]` functions cannot have generic parameters or lifetimes"),
        );
    } else if let Some(where_clause) = &sig.generics.where_clause {
        errors.spanned(
            where_clause,
            format!("`#[{attr}]` functions cannot have a `where` clause"),
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.spanned(
            variadic,
            format!("`#[{attr}]` functions cannot be variadic"),
        );
    }

    let mut args: Vec<Arg> = Vec::new();
    let mut oauth_type = None;
    let mut is_method = false;
    for input in &sig.inputs {
        is_method |= matches!(input, FnArg::Receiver(_));
        let Some((ident, ty)) = named(kind, input, errors) else {
            continue;
        };
        let name = ident.to_string();
        let Some(param) = kind.params().iter().find(|p| p.name == name) else {
            let names: Vec<&str> = kind.params().iter().map(|p| p.name).collect();
            let hint = kind
                .meant(&name, &ty.to_token_stream().to_string())
                .map(|(param, why)| format!(", did you mean `{param}` ({why})"))
                .unwrap_or_else(|| suggest(&name, &names));
            errors.spanned(
                ident,
                format!("unknown parameter `{name}` of `#[{attr}]`{hint}"),
            );
            continue;
        };
        if let Some(lifetime) = named_lifetime(ty.to_token_stream()) {
            errors.spanned(
                &lifetime,
                format!(
                    "the `{name}` parameter cannot name a lifetime: arguments are lent for the call only, write the type without `{lifetime}` (e.g. `&str`) or take an owned value"
                ),
            );
            continue;
        }
        if args.iter().any(|a| a.param.name == name) {
            errors.spanned(ident, format!("duplicate parameter `{name}`"));
            continue;
        }
        if is_impl_trait(ty) {
            errors.spanned(
                ty,
                format!("the `{name}` parameter cannot have an `impl Trait` type"),
            );
            continue;
        }
        if let Source::Auth = param.source {
            oauth_type = Some(auth_struct(ty, errors));
        }
        args.push(Arg { param, ty });
    }

    let output = match &sig.output {
        ReturnType::Type(_, ty) => Some(&**ty),
        ReturnType::Default => {
            errors.at(
                sig.paren_token.span.close(),
                format!(
                    "missing return type: `#[{attr}]` functions return {}",
                    kind.returns()
                ),
            );
            None
        }
    };

    Hook {
        kind,
        func: &sig.ident,
        is_async: sig.asyncness.is_some(),
        args,
        output,
        // A method sits in an impl block, where the stub impl could not follow it.
        auth: auth(kind, oauth_type, attr_auth, errors).filter(|_| !is_method),
    }
}

/// The parameter's name and type, or `None` (reported) for `self` and patterns.
fn named<'a>(kind: Kind, input: &'a FnArg, errors: &mut Errors) -> Option<(&'a Ident, &'a Type)> {
    let attr = kind.name();
    match input {
        FnArg::Receiver(receiver) => {
            errors.spanned(
                receiver,
                format!(
                    "`#[{attr}]` functions take no `self`: write a free function and take the auth struct as `oauth: &Auth`"
                ),
            );
            None
        }
        FnArg::Typed(typed) => match &*typed.pat {
            Pat::Ident(pat) if pat.subpat.is_none() => Some((&pat.ident, &typed.ty)),
            pat => {
                let names: Vec<String> = kind
                    .params()
                    .iter()
                    .map(|p| format!("`{}`", p.name))
                    .collect();
                errors.spanned(
                    pat,
                    format!(
                        "`#[{attr}]` parameters must be plain names, one of {}",
                        names.join(", ")
                    ),
                );
                None
            }
        },
    }
}

fn is_impl_trait(ty: &Type) -> bool {
    match ty {
        Type::ImplTrait(_) => true,
        Type::Reference(TypeReference { elem, .. }) | Type::Paren(syn::TypeParen { elem, .. }) => {
            is_impl_trait(elem)
        }
        _ => false,
    }
}

/// The first lifetime other than `'_` written in a type: `'static` in `&'static str`.
fn named_lifetime(tokens: proc_macro2::TokenStream) -> Option<proc_macro2::TokenStream> {
    use proc_macro2::TokenTree;
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            TokenTree::Punct(tick) if tick.as_char() == '\'' => {
                if let Some(TokenTree::Ident(name)) = tokens.peek()
                    && name != "_"
                {
                    let name = name.clone();
                    return Some(quote::quote!(#tick #name));
                }
            }
            TokenTree::Group(group) => {
                if let Some(found) = named_lifetime(group.stream()) {
                    return Some(found);
                }
            }
            _ => {}
        }
    }
    None
}

/// The struct behind `oauth: &Auth`. A type that is not a shared reference to a type path is
/// reported; the path is still returned when there is one, for the stub impl.
fn auth_struct(ty: &Type, errors: &mut Errors) -> Option<TypePath> {
    let (shared, elem) = match ty {
        Type::Reference(r) => (r.mutability.is_none(), &*r.elem),
        other => (false, other),
    };
    let path = match elem {
        Type::Path(path) if path.qself.is_none() => Some(path.clone()),
        _ => None,
    };
    // `&Arc<Auth>`: the struct the user meant is the wrapper's argument.
    if let Some(wrapper) = path.as_ref().and_then(|p| p.path.segments.last())
        && let syn::PathArguments::AngleBracketed(arguments) = &wrapper.arguments
    {
        let inner = arguments.args.iter().find_map(|arg| match arg {
            syn::GenericArgument::Type(Type::Path(inner)) if inner.qself.is_none() => {
                Some(inner.clone())
            }
            _ => None,
        });
        let name = inner.as_ref().map_or_else(
            || "Auth".to_owned(),
            |inner| inner.to_token_stream().to_string().replace(' ', ""),
        );
        errors.spanned(
            ty,
            format!(
                "the `oauth` parameter is the auth struct itself: write `oauth: &{name}` (the library already shares it; no `{}` needed)",
                wrapper.ident
            ),
        );
        return inner;
    }
    if !shared || path.is_none() {
        errors.spanned(
            ty,
            "the `oauth` parameter must be a shared reference to the auth struct, e.g. `oauth: &Auth`",
        );
    }
    path
}

/// The auth struct: the type of `oauth`, else the attribute's argument, else `Auth`.
fn auth(
    kind: Kind,
    from_param: Option<Option<TypePath>>,
    from_attr: Result<Option<TypePath>, ()>,
    errors: &mut Errors,
) -> Option<Type> {
    let path = match (from_param, from_attr) {
        (Some(param), Ok(Some(attr))) => {
            if let Some(param) = &param
                && param.to_token_stream().to_string() != attr.to_token_stream().to_string()
            {
                let (attr_name, param_name) = (attr.to_token_stream(), param.to_token_stream());
                errors.spanned(
                    &attr,
                    format!(
                        "`#[{}({attr_name})]` and `oauth: &{param_name}` name different auth structs: remove one",
                        kind.name()
                    ),
                );
            }
            param
        }
        (Some(param), _) => param,
        (None, Ok(Some(attr))) => Some(attr),
        (None, Ok(None)) => Some(TypePath {
            qself: None,
            path: Ident::new("Auth", Span::call_site()).into(),
        }),
        (None, Err(())) => None,
    };
    path.map(Type::Path)
}

#[cfg(test)]
mod tests {
    use quote::quote;
    use syn::parse_quote;

    use super::*;

    fn analyzed(kind: Kind, func: ItemFn) -> (Vec<String>, Vec<&'static str>, Option<String>) {
        let mut errors = Errors::new();
        let hook = analyze(kind, &func, Ok(None), &mut errors);
        let names = hook.args.iter().map(|a| a.param.name).collect();
        let auth = hook.auth.map(|t| t.to_token_stream().to_string());
        let messages = match errors.finish() {
            Ok(()) => Vec::new(),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        };
        (messages, names, auth)
    }

    fn messages(kind: Kind, func: ItemFn) -> Vec<String> {
        analyzed(kind, func).0
    }

    #[test]
    fn parameters_in_any_order() {
        let (messages, names, auth) = analyzed(
            Kind::GetAuth,
            parse_quote!(
                async fn decide(
                    state: Option<&str>,
                    oauth: &crate::MyAuth,
                    info: &UserInfo,
                ) -> Option<Redirect> {
                    None
                }
            ),
        );
        assert_eq!(messages, Vec::<String>::new());
        assert_eq!(names, ["state", "oauth", "info"]);
        assert_eq!(auth.as_deref(), Some("crate :: MyAuth"));
    }

    #[test]
    fn default_auth_struct() {
        let (messages, names, auth) = analyzed(
            Kind::Logout,
            parse_quote!(
                fn bye() -> Redirect {
                    Redirect::to("/")
                }
            ),
        );
        assert_eq!(messages, Vec::<String>::new());
        assert!(names.is_empty());
        assert_eq!(auth.as_deref(), Some("Auth"));
    }

    #[test]
    fn attribute_names_the_struct() {
        let func: ItemFn = parse_quote!(
            fn f(info: &UserInfo) -> Option<Redirect> {
                None
            }
        );
        let mut errors = Errors::new();
        let hook = analyze(
            Kind::GetAuth,
            &func,
            Ok(Some(parse_quote!(MyAuth))),
            &mut errors,
        );
        errors.finish().unwrap();
        assert_eq!(hook.auth.unwrap().to_token_stream().to_string(), "MyAuth");

        let func: ItemFn = parse_quote!(
            fn f(oauth: &Other) -> Option<Redirect> {
                None
            }
        );
        let mut errors = Errors::new();
        analyze(
            Kind::GetAuth,
            &func,
            Ok(Some(parse_quote!(MyAuth))),
            &mut errors,
        );
        assert_eq!(
            errors.finish().unwrap_err().to_string(),
            "`#[get_auth(MyAuth)]` and `oauth: &Other` name different auth structs: remove one"
        );
    }

    #[test]
    fn each_hook_has_its_own_parameters() {
        assert_eq!(
            messages(
                Kind::CheckInvalid,
                parse_quote!(
                    fn c(req: &Parts, session: &Session, auth: &str, oauth: &Auth) -> bool {
                        false
                    }
                )
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            messages(
                Kind::CheckInvalid,
                parse_quote!(
                    fn c(info: &UserInfo) -> bool {
                        false
                    }
                )
            ),
            [
                "unknown parameter `info` of `#[check_invalid]`, expected one of `req`, `session`, `auth`, `oauth`"
            ]
        );
        assert_eq!(
            messages(
                Kind::Logout,
                parse_quote!(
                    fn l(req: &Parts) -> Redirect {
                        Redirect::to("/")
                    }
                )
            ),
            ["unknown parameter `req` of `#[logout]`, expected one of `session`, `auth`, `oauth`"]
        );
    }

    #[test]
    fn three_mistakes_three_errors() {
        let got = messages(
            Kind::GetAuth,
            parse_quote!(
                fn f(
                    inf: &UserInfo,
                    sesion: &Session,
                    ident: &str,
                    ident: String,
                ) -> Option<Redirect> {
                    None
                }
            ),
        );
        assert_eq!(
            got,
            [
                "unknown parameter `inf` of `#[get_auth]`, did you mean `info` (what the provider says about the user)",
                "unknown parameter `sesion` of `#[get_auth]`, did you mean `session` (the user's session)",
                "duplicate parameter `ident`",
            ]
        );
    }

    #[test]
    fn signature_errors() {
        let cases: [(ItemFn, &str); 9] = [
            (
                parse_quote!(
                    fn f(&self) -> Option<Redirect> {
                        None
                    }
                ),
                "`#[get_auth]` functions take no `self`: write a free function and take the auth struct as `oauth: &Auth`",
            ),
            (
                parse_quote!(
                    fn f((a, b): (u8, u8)) -> Option<Redirect> {
                        None
                    }
                ),
                "`#[get_auth]` parameters must be plain names, one of `info`, `ident`, `session`, `state`, `oauth`",
            ),
            (
                parse_quote!(
                    fn f<T>(info: T) -> Option<Redirect> {
                        None
                    }
                ),
                "`#[get_auth]` functions cannot have generic parameters or lifetimes",
            ),
            (
                parse_quote!(
                    fn f() -> Option<Redirect>
                    where
                        u8: Copy,
                    {
                        None
                    }
                ),
                "`#[get_auth]` functions cannot have a `where` clause",
            ),
            (
                parse_quote!(
                    unsafe fn f() -> Option<Redirect> {
                        None
                    }
                ),
                "`#[get_auth]` functions cannot be `unsafe`",
            ),
            (
                parse_quote!(
                    fn f(info: &UserInfo) {}
                ),
                "missing return type: `#[get_auth]` functions return `Option<impl IntoResponse>`: `Some(response)` logs the user in, `None` sends them back to the login page",
            ),
            (
                parse_quote!(
                    fn f(info: impl AsRef<UserInfo>) -> Option<Redirect> {
                        None
                    }
                ),
                "the `info` parameter cannot have an `impl Trait` type",
            ),
            (
                parse_quote!(
                    fn f(oauth: Auth) -> Option<Redirect> {
                        None
                    }
                ),
                "the `oauth` parameter must be a shared reference to the auth struct, e.g. `oauth: &Auth`",
            ),
            (
                parse_quote!(
                    fn f(oauth: &mut Auth) -> Option<Redirect> {
                        None
                    }
                ),
                "the `oauth` parameter must be a shared reference to the auth struct, e.g. `oauth: &Auth`",
            ),
        ];
        for (func, expected) in cases {
            let name = quote!(#func).to_string();
            assert_eq!(messages(Kind::GetAuth, func), [expected], "{name}");
        }
    }

    #[test]
    fn mistakes_with_a_likely_meaning() {
        let cases: [(Kind, ItemFn, &str); 6] = [
            (
                Kind::GetAuth,
                parse_quote!(
                    fn f(auth: &str) -> Option<Redirect> {
                        None
                    }
                ),
                "unknown parameter `auth` of `#[get_auth]`, did you mean `ident` (the user's id at the provider; it becomes `auth` once they are logged in)",
            ),
            (
                Kind::GetAuth,
                parse_quote!(
                    fn f(profile: &UserInfo) -> Option<Redirect> {
                        None
                    }
                ),
                "unknown parameter `profile` of `#[get_auth]`, did you mean `info` (what the provider says about the user)",
            ),
            (
                Kind::CheckInvalid,
                parse_quote!(
                    fn f(ident: &str) -> bool {
                        false
                    }
                ),
                "unknown parameter `ident` of `#[check_invalid]`, did you mean `auth` (the logged-in user's ident)",
            ),
            (
                Kind::GetAuth,
                parse_quote!(
                    fn f(ident: &'static str) -> Option<Redirect> {
                        None
                    }
                ),
                "the `ident` parameter cannot name a lifetime: arguments are lent for the call only, write the type without `'static` (e.g. `&str`) or take an owned value",
            ),
            (
                Kind::GetAuth,
                parse_quote!(
                    fn f(state: Option<&'a str>) -> Option<Redirect> {
                        None
                    }
                ),
                "the `state` parameter cannot name a lifetime: arguments are lent for the call only, write the type without `'a` (e.g. `&str`) or take an owned value",
            ),
            (
                Kind::GetAuth,
                parse_quote!(
                    fn f(oauth: &Arc<Auth>) -> Option<Redirect> {
                        None
                    }
                ),
                "the `oauth` parameter is the auth struct itself: write `oauth: &Auth` (the library already shares it; no `Arc` needed)",
            ),
        ];
        for (kind, func, expected) in cases {
            let name = quote!(#func).to_string();
            assert_eq!(messages(kind, func), [expected], "{name}");
        }
        // The type tells which one a `user` meant.
        assert_eq!(
            messages(
                Kind::GetAuth,
                parse_quote!(
                    fn f(user: &UserInfo) -> Option<Redirect> {
                        None
                    }
                )
            ),
            [
                "unknown parameter `user` of `#[get_auth]`, did you mean `info` (what the provider says about the user)"
            ]
        );
        // `'_` is no named lifetime.
        assert_eq!(
            messages(
                Kind::GetAuth,
                parse_quote!(
                    fn f(ident: &'_ str) -> Option<Redirect> {
                        None
                    }
                )
            ),
            Vec::<String>::new()
        );
        // The stub still implements the struct inside the wrapper.
        let (_, _, auth) = analyzed(
            Kind::GetAuth,
            parse_quote!(
                fn f(oauth: &std::sync::Arc<crate::MyAuth>) -> Option<Redirect> {
                    None
                }
            ),
        );
        assert_eq!(auth.as_deref(), Some("crate :: MyAuth"));
    }

    #[test]
    fn variadic() {
        let func: ItemFn = parse_quote!(
            unsafe extern "C" fn f(info: &UserInfo, ...) -> Option<Redirect> {
                None
            }
        );
        assert_eq!(
            messages(Kind::GetAuth, func),
            [
                "`#[get_auth]` functions cannot be `unsafe`",
                "`#[get_auth]` functions cannot be variadic"
            ]
        );
    }

    #[test]
    fn the_stub_still_knows_the_struct() {
        // `oauth: Auth` is wrong, but names the struct: the stub impl keeps follow-on errors away.
        let (_, _, auth) = analyzed(
            Kind::GetAuth,
            parse_quote!(
                fn f(oauth: MyAuth) -> Option<Redirect> {
                    None
                }
            ),
        );
        assert_eq!(auth.as_deref(), Some("MyAuth"));
        let (_, _, auth) = analyzed(
            Kind::GetAuth,
            parse_quote!(
                fn f(oauth: (A, B)) -> Option<Redirect> {
                    None
                }
            ),
        );
        assert_eq!(auth, None);
    }
}
