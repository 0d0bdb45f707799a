//! `#[oauth(...)]` arguments -> [`Args`], a typed model that keeps each key's token.
//!
//! A bad key or value is recorded and parsing goes on with the next key, so every mistake of the
//! attribute is reported at once; only broken syntax (a missing `=` or `,`) stops the parse.

use proc_macro2::TokenStream;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Ident, Lit, LitStr, Token};

use crate::errors::{Errors, suggest};

pub(crate) mod kw {
    syn::custom_keyword!(provider);
    syn::custom_keyword!(redirect);
    syn::custom_keyword!(error);
    syn::custom_keyword!(logout);
    syn::custom_keyword!(login);
    syn::custom_keyword!(skip);
    syn::custom_keyword!(public);
}

/// The keys, in the order the docs list them.
pub(crate) const KEYS: &[&str] = &[
    "provider", "redirect", "error", "logout", "login", "skip", "public",
];

/// The keys given to `#[oauth(...)]`, each with its keyword token (for spans) and its value.
/// A value is `None` when it was malformed (and reported): the key was given all the same, so it
/// is not also "missing".
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) provider: Option<(kw::provider, Option<LitStr>)>,
    pub(crate) redirect: Option<(kw::redirect, Option<LitStr>)>,
    pub(crate) error: Option<(kw::error, Option<LitStr>)>,
    pub(crate) logout: Option<(kw::logout, Option<LitStr>)>,
    pub(crate) login: Option<(kw::login, Option<LitStr>)>,
    /// The entries that are string literals (the others are already reported).
    pub(crate) skip: Option<(kw::skip, Option<Vec<LitStr>>)>,
    /// As `skip`.
    pub(crate) public: Option<(kw::public, Option<Vec<LitStr>>)>,
}

/// The value of a key that was given and well-formed.
pub(crate) fn value<K, V>(slot: &Option<(K, Option<V>)>) -> Option<&V> {
    slot.as_ref().and_then(|(_, value)| value.as_ref())
}

/// Parses the attribute's arguments. `None` after a syntax error (already in `errors`): the
/// keys that were read may then be incomplete, so no cross-key check should run on them.
pub(crate) fn parse(args: TokenStream, errors: &mut Errors) -> Option<Args> {
    let mut parsed = Args::default();
    let parser = |input: ParseStream| {
        while !input.is_empty() {
            parse_key(input, &mut parsed, errors)?;
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(())
    };
    let complete = Parser::parse2(parser, args);
    errors.parse(complete).map(|()| parsed)
}

fn parse_key(input: ParseStream, args: &mut Args, errors: &mut Errors) -> syn::Result<()> {
    let lookahead = input.lookahead1();
    if lookahead.peek(kw::provider) {
        string_key(input, &mut args.provider, "provider", "github", errors)
    } else if lookahead.peek(kw::redirect) {
        string_key(input, &mut args.redirect, "redirect", "/redirect", errors)
    } else if lookahead.peek(kw::error) {
        string_key(input, &mut args.error, "error", "/error", errors)
    } else if lookahead.peek(kw::logout) {
        string_key(input, &mut args.logout, "logout", "/logout", errors)
    } else if lookahead.peek(kw::login) {
        string_key(input, &mut args.login, "login", "/login", errors)
    } else if lookahead.peek(kw::skip) {
        let key = input.parse::<kw::skip>()?;
        let value = patterns(input, "skip", errors)?;
        set(&mut args.skip, key, value, "skip", errors);
        Ok(())
    } else if lookahead.peek(kw::public) {
        let key = input.parse::<kw::public>()?;
        let value = patterns(input, "public", errors)?;
        set(&mut args.public, key, value, "public", errors);
        Ok(())
    } else if input.peek(Ident::peek_any) {
        // An unknown key: report it, then read past its value to find the next key.
        let key = input.call(Ident::parse_any)?;
        let name = key.to_string();
        errors.spanned(
            &key,
            format!("unknown key `{name}`{}", suggest(&name, KEYS)),
        );
        if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            input.parse::<Expr>()?;
        }
        Ok(())
    } else {
        Err(lookahead.error())
    }
}

/// `name = "..."`; `example` is a valid value, for the error message.
fn string_key<K: Parse + Spanned>(
    input: ParseStream,
    slot: &mut Option<(K, Option<LitStr>)>,
    name: &str,
    example: &str,
    errors: &mut Errors,
) -> syn::Result<()> {
    let key = input.parse::<K>()?;
    input.parse::<Token![=]>()?;
    let value = match input.parse::<Expr>()? {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some(lit),
        other => {
            errors.spanned(
                other,
                format!("expected a string literal, e.g. `{name} = \"{example}\"`"),
            );
            None
        }
    };
    set(slot, key, value, name, errors);
    Ok(())
}

/// Stores a key's value, or reports the key at its second occurrence.
fn set<K: Spanned, V>(
    slot: &mut Option<(K, Option<V>)>,
    key: K,
    value: Option<V>,
    name: &str,
    errors: &mut Errors,
) {
    if slot.is_some() {
        errors.at(key.span(), format!("duplicate key `{name}`"));
    } else {
        *slot = Some((key, value));
    }
}

/// `= ["...", r"..."]` of the key `name`. Entries that are not string literals are reported and
/// left out.
fn patterns(
    input: ParseStream,
    name: &str,
    errors: &mut Errors,
) -> syn::Result<Option<Vec<LitStr>>> {
    input.parse::<Token![=]>()?;
    let example = match name {
        "skip" => r#"skip = [r"/static/.*", r"/favicon\.ico"]"#,
        _ => r#"public = ["/", r"/blog/.*"]"#,
    };
    let array = match input.parse::<Expr>()? {
        Expr::Array(array) => array,
        other => {
            errors.spanned(
                other,
                format!("expected a list of patterns, e.g. `{example}`"),
            );
            return Ok(None);
        }
    };
    let mut literals = Vec::new();
    for element in array.elems {
        match element {
            Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            }) => literals.push(lit),
            other => errors.spanned(
                other,
                format!("`{name}` entries must be string literals, e.g. `{example}`"),
            ),
        }
    }
    Ok(Some(literals))
}
