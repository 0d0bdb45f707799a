//! Collecting every error of one attribute, and the wording shared by all macros.

use std::fmt::Display;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::Item;

/// Errors of one macro invocation, reported together: a user with three typos sees three errors
/// in one build.
///
/// Must be consumed with [`Errors::finish`]; dropping it unchecked panics, so a forgotten error
/// cannot silently vanish (the same guard as serde's `Ctxt`).
#[derive(Default)]
pub(crate) struct Errors {
    combined: Option<syn::Error>,
    finished: bool,
}

impl Errors {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.combined {
            Some(combined) => combined.combine(error),
            None => self.combined = Some(error),
        }
    }

    /// An error spanning `tokens`.
    pub(crate) fn spanned(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// An error at `span`.
    pub(crate) fn at(&mut self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Runs `parse`, keeping its error (a syntax error ends the parse; errors it pushed stay).
    pub(crate) fn parse<T>(&mut self, parse: syn::Result<T>) -> Option<T> {
        parse.map_err(|error| self.push(error)).ok()
    }

    /// All errors so far, combined.
    pub(crate) fn finish(mut self) -> syn::Result<()> {
        self.finished = true;
        self.combined.take().map_or(Ok(()), Err)
    }
}

impl Drop for Errors {
    fn drop(&mut self) {
        if !self.finished && !std::thread::panicking() {
            panic!("axum-oauth-login-macros bug: `Errors` dropped without `finish()`");
        }
    }
}

/// The tokens that name an item (`fn main`, `enum Auth`): where "must be on a ..." errors point,
/// rather than at the whole item.
pub(crate) fn item_head(item: &Item) -> TokenStream {
    match item {
        Item::Fn(f) => {
            let (keyword, ident) = (&f.sig.fn_token, &f.sig.ident);
            quote!(#keyword #ident)
        }
        Item::Struct(s) => {
            let (keyword, ident) = (&s.struct_token, &s.ident);
            quote!(#keyword #ident)
        }
        Item::Enum(e) => {
            let (keyword, ident) = (&e.enum_token, &e.ident);
            quote!(#keyword #ident)
        }
        Item::Union(u) => {
            let (keyword, ident) = (&u.union_token, &u.ident);
            quote!(#keyword #ident)
        }
        Item::Impl(i) => {
            let (keyword, ty) = (&i.impl_token, &i.self_ty);
            quote!(#keyword #ty)
        }
        Item::Trait(t) => {
            let (keyword, ident) = (&t.trait_token, &t.ident);
            quote!(#keyword #ident)
        }
        Item::Mod(m) => {
            let (keyword, ident) = (&m.mod_token, &m.ident);
            quote!(#keyword #ident)
        }
        Item::Const(c) => {
            let (keyword, ident) = (&c.const_token, &c.ident);
            quote!(#keyword #ident)
        }
        Item::Static(s) => {
            let (keyword, ident) = (&s.static_token, &s.ident);
            quote!(#keyword #ident)
        }
        Item::Type(t) => {
            let (keyword, ident) = (&t.type_token, &t.ident);
            quote!(#keyword #ident)
        }
        other => other.to_token_stream(),
    }
}

/// "`a`, `b`, `c`": the valid choices, for "expected one of ..." messages.
pub(crate) fn one_of(choices: &[&str]) -> String {
    choices
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// ", did you mean `x`" when `word` is a likely typo of one of `choices`, else ", expected one of
/// ...". Appended to an "unknown ..." message.
pub(crate) fn suggest(word: &str, choices: &[&str]) -> String {
    let closest = choices
        .iter()
        .map(|c| (distance(&word.to_lowercase(), c), c))
        .min_by_key(|(d, _)| *d);
    match closest {
        Some((d, c)) if d <= (word.chars().count() / 3).max(1) => format!(", did you mean `{c}`"),
        _ => format!(", expected one of {}", one_of(choices)),
    }
}

/// Edit distance counting a swap of two neighbours as one edit (`lgoin` -> `login`): optimal
/// string alignment.
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combines_in_order() {
        let mut errors = Errors::new();
        errors.at(Span::call_site(), "first");
        errors.at(Span::call_site(), "second");
        let messages: Vec<String> = errors
            .finish()
            .unwrap_err()
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(messages, ["first", "second"]);
    }

    #[test]
    fn no_errors_is_ok() {
        assert!(Errors::new().finish().is_ok());
    }

    #[test]
    #[should_panic(expected = "without `finish()`")]
    fn unchecked_errors_panic() {
        let _errors = Errors::new();
    }

    #[test]
    fn suggestions() {
        let keys = ["provider", "redirect", "error", "logout", "login", "skip"];
        assert_eq!(suggest("redirct", &keys), ", did you mean `redirect`");
        assert_eq!(suggest("Provider", &keys), ", did you mean `provider`");
        assert_eq!(suggest("skp", &keys), ", did you mean `skip`");
        assert!(suggest("callback", &keys).starts_with(", expected one of `provider`, "));
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "ab"), 2);
        assert_eq!(distance("lgoin", "login"), 1);
    }
}
