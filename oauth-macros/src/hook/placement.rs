//! Is the hook written inside an `impl` or `trait` block? An attribute receives the function alone,
//! so this reads the source file the function came from (`proc_macro::Span::local_file`, stable
//! since Rust 1.88) and looks for the same function among the file's methods.
//!
//! Without this check, a hook inside `impl Auth { ... }` gets rustc's "implementation is not
//! supported in `trait`s or `impl`s" about the impl the attribute generates. When the file cannot
//! be read (a hook produced by another macro, an IDE that gives no file), nothing is reported here
//! and that message is what the user sees.

use quote::ToTokens;
use syn::visit::{self, Visit};
use syn::{ItemFn, Signature};

/// Where the function sits, when it is a method: `impl Auth` or `trait Hooks`.
pub(super) fn enclosing_block(func: &ItemFn) -> Option<String> {
    let source = source_file(func)?;
    method_container(&source, func)
}

/// The text of the file `func` was written in, when the compiler names a readable file.
fn source_file(func: &ItemFn) -> Option<String> {
    if !proc_macro::is_available() {
        return None;
    }
    let path = func.sig.ident.span().unwrap().local_file()?;
    std::fs::read_to_string(path).ok()
}

/// Finds, in `source`, a method with the same signature and body as `func`, and names the block
/// that holds it. Tokens are compared, not positions: spans of tokens parsed from a string inside
/// a proc macro carry no line. An identical copy of the function inside an impl of the same file
/// is reported too, which is also a hook in an impl.
fn method_container(source: &str, func: &ItemFn) -> Option<String> {
    let file = syn::parse_file(source).ok()?;
    let mut finder = Finder {
        sig: func.sig.to_token_stream().to_string(),
        body: func.block.to_token_stream().to_string(),
        found: None,
    };
    finder.visit_file(&file);
    finder.found
}

struct Finder {
    sig: String,
    body: String,
    found: Option<String>,
}

impl Finder {
    fn matches(&self, sig: &Signature, body: &syn::Block) -> bool {
        sig.to_token_stream().to_string() == self.sig
            && body.to_token_stream().to_string() == self.body
    }
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_item_impl(&mut self, block: &'ast syn::ItemImpl) {
        for item in &block.items {
            if let syn::ImplItem::Fn(method) = item
                && self.found.is_none()
                && self.matches(&method.sig, &method.block)
            {
                let ty = block.self_ty.to_token_stream().to_string();
                self.found = Some(match &block.trait_ {
                    Some((_, path, _)) => {
                        format!("impl {} for {ty}", path.to_token_stream())
                    }
                    None => format!("impl {ty}"),
                });
            }
        }
        visit::visit_item_impl(self, block);
    }

    fn visit_item_trait(&mut self, block: &'ast syn::ItemTrait) {
        for item in &block.items {
            if let syn::TraitItem::Fn(method) = item
                && self.found.is_none()
                && let Some(body) = &method.default
                && self.matches(&method.sig, body)
            {
                self.found = Some(format!("trait {}", block.ident));
            }
        }
        visit::visit_item_trait(self, block);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(source: &str, func: &str) -> Option<String> {
        method_container(source, &syn::parse_str(func).unwrap())
    }

    const HOOK: &str = "fn get_auth(info: &UserInfo) -> Option<Redirect> { info.email_verified.then(|| Redirect::to(\"/\")) }";

    #[test]
    fn a_free_function_is_not_in_a_block() {
        let source = format!("#[oauth(provider = \"dev\")] struct Auth;\n#[get_auth]\n{HOOK}\n");
        assert_eq!(container(&source, HOOK), None);
    }

    #[test]
    fn a_method_names_its_impl_or_trait() {
        let inherent = format!("struct Auth;\nimpl Auth {{\n    #[get_auth]\n    {HOOK}\n}}\n");
        assert_eq!(container(&inherent, HOOK).as_deref(), Some("impl Auth"));
        let of_trait = format!("impl Hooks for Auth {{ #[get_auth] {HOOK} }}");
        assert_eq!(
            container(&of_trait, HOOK).as_deref(),
            Some("impl Hooks for Auth")
        );
        let default = format!("trait Hooks {{ #[get_auth] {HOOK} }}");
        assert_eq!(container(&default, HOOK).as_deref(), Some("trait Hooks"));
    }

    #[test]
    fn blocks_inside_modules_and_functions_are_searched() {
        let nested = format!("mod auth {{ fn main() {{ impl Auth {{ #[get_auth] {HOOK} }} }} }}");
        assert_eq!(container(&nested, HOOK).as_deref(), Some("impl Auth"));
    }

    #[test]
    fn a_method_of_the_same_name_but_another_body_is_not_the_hook() {
        let source = format!(
            "{HOOK}\nimpl Other {{ fn get_auth(info: &UserInfo) -> Option<Redirect> {{ None }} }}"
        );
        assert_eq!(container(&source, HOOK), None);
    }

    #[test]
    fn an_unparsable_file_reports_nothing() {
        assert_eq!(container("impl Auth { fn", HOOK), None);
    }
}
