//! Snapshot tests of whole expansions: each `tests/expand/NAME.rs` is expanded (this crate's
//! attributes only), pretty-printed and compared with `tests/expand/NAME.expanded.rs`. Run with
//! `UPDATE_EXPAND=1` to rewrite the snapshots, then read the diff.
//!
//! They live in the crate because a proc-macro crate exports nothing but its macros, so an
//! integration test could not call `oauth::expand` and `hook::expand`.

use std::fs;
use std::path::Path;

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{Attribute, Item, Meta};

use crate::hook::{self, Kind};
use crate::oauth;

fn expand_file(source: &str) -> String {
    let file = syn::parse_file(source).expect("snapshot input parses");
    let items = file.items.into_iter().map(expand_item);
    let expanded = syn::parse2(quote!(#(#items)*)).expect("expansion parses");
    prettyplease::unparse(&expanded)
}

/// Expands the first of this crate's attributes on `item`, as the compiler would.
fn expand_item(mut item: Item) -> TokenStream {
    let attrs = match &mut item {
        Item::Struct(s) => &mut s.attrs,
        Item::Enum(e) => &mut e.attrs,
        Item::Fn(f) => &mut f.attrs,
        _ => return item.into_token_stream(),
    };
    let Some(index) = attrs.iter().position(|a| attribute(a).is_some()) else {
        return item.into_token_stream();
    };
    let attr = attrs.remove(index);
    let args = match &attr.meta {
        Meta::List(list) => list.tokens.clone(),
        _ => TokenStream::new(),
    };
    let item = item.into_token_stream();
    match attribute(&attr) {
        Some("oauth") => oauth::expand(args, item),
        Some("get_auth") => hook::expand(Kind::GetAuth, args, item),
        Some("check_invalid") => hook::expand(Kind::CheckInvalid, args, item),
        Some("logout") => hook::expand(Kind::Logout, args, item),
        _ => unreachable!(),
    }
}

fn attribute(attr: &Attribute) -> Option<&'static str> {
    let name = attr.path().segments.last()?.ident.to_string();
    ["oauth", "get_auth", "check_invalid", "logout"]
        .into_iter()
        .find(|known| *known == name)
}

#[test]
fn expansions_match_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expand");
    let update = std::env::var_os("UPDATE_EXPAND").is_some_and(|v| v == "1");
    let mut inputs: Vec<_> = fs::read_dir(&dir)
        .expect("tests/expand exists")
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter(|p| !p.to_string_lossy().ends_with(".expanded.rs"))
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty());
    let mut stale = Vec::new();
    for input in inputs {
        let expanded = expand_file(&fs::read_to_string(&input).unwrap());
        let snapshot = input.with_extension("expanded.rs");
        if update {
            fs::write(&snapshot, &expanded).unwrap();
        } else if fs::read_to_string(&snapshot).ok().as_deref() != Some(expanded.as_str()) {
            eprintln!(
                "--- {} is stale; expansion:\n{expanded}",
                snapshot.display()
            );
            stale.push(snapshot);
        }
    }
    assert!(
        stale.is_empty(),
        "stale snapshots (rerun with UPDATE_EXPAND=1 and review): {stale:?}"
    );
}
