use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use axum_oauth_login::{OAuth, oauth};

/// Documented, with derives after the attribute and private fields.
#[oauth(provider = "oidc")]
#[derive(Debug, Clone, Default)]
pub struct Auth {
    /// Idents that may not log in.
    pub banned: Vec<String>,
    calls: Arc<AtomicUsize>,
}

#[oauth(provider = "huggingface")]
struct Tuple(String, u32);

fn main() {
    let auth = Auth::default();
    assert!(auth.banned.is_empty());
    let _ = auth.clone().calls;
    assert_eq!(<Auth as OAuth>::CONFIG.provider, "oidc");
    let tuple = Tuple("a".into(), 1);
    let _ = (tuple.0, tuple.1);
    assert_eq!(<Tuple as OAuth>::CONFIG.provider, "huggingface");
}
