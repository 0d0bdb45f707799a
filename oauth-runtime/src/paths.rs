//! Path patterns, compiled once: the sets behind `#[oauth(skip = [...])]` (no session at all),
//! `public = [...]` (the session, but no login needed) and the library's own routes (callback,
//! error, login, logout), which the guard lets through.
//!
//! Patterns are regular expressions that must match the whole path, as FastHTML's
//! `Beforeware(skip=[...])`. Most are plain paths (`/login`) or prefixes (`/static/.*`): those are
//! answered with a binary search or a `starts_with`, and only the rest go to one `RegexSet`.

use regex::RegexSet;
use regex_syntax::hir::{Dot, Hir, HirKind};

/// A compiled set of path patterns, each matching the whole path: what `skip`, `public` and the
/// library's own routes are made of.
///
/// ```
/// use axum_oauth_login::paths::PathPatterns;
/// let skip = PathPatterns::new(["/login", r"/static/.*", r"/img/\d+\.png"]).unwrap();
/// assert!(skip.matches("/login"));
/// assert!(skip.matches("/static/app.css"));
/// assert!(skip.matches("/img/42.png"));
/// assert!(!skip.matches("/login/x"));
/// assert!(!skip.matches("/"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct PathPatterns {
    /// Sorted: a binary search costs less than hashing the path (`matches` runs on every request).
    exact: Vec<String>,
    prefixes: Vec<String>,
    regexes: Option<RegexSet>,
}

impl PathPatterns {
    /// Compiles the patterns. `#[oauth(skip = [...])]` checks them at compile time, so this only
    /// fails for patterns given at run time.
    ///
    /// # Errors
    /// A pattern that is not a valid regular expression.
    ///
    /// ```
    /// use axum_oauth_login::paths::PathPatterns;
    /// let skip = PathPatterns::new([r"/static/.*", r"/favicon\.ico"]).unwrap();
    /// assert!(skip.matches("/static/app.css"));
    /// assert!(PathPatterns::new(["/a("]).is_err());
    /// ```
    pub fn new<I, P>(patterns: I) -> Result<Self, regex::Error>
    where
        I: IntoIterator<Item = P>,
        P: AsRef<str>,
    {
        let mut set = Self::default();
        let mut rest = Vec::new();
        for pattern in patterns {
            let pattern = pattern.as_ref();
            match classify(pattern) {
                Some(Kind::Exact(path)) => {
                    set.insert_exact(&path);
                }
                Some(Kind::Prefix(prefix)) => set.prefixes.push(prefix),
                None => rest.push(format!("^(?:{pattern})$")),
            }
        }
        if !rest.is_empty() {
            set.regexes = Some(RegexSet::new(rest)?);
        }
        Ok(set)
    }

    /// Adds an exact public path (the callback, error and login paths are always public).
    ///
    /// ```
    /// use axum_oauth_login::paths::PathPatterns;
    /// let mut skip = PathPatterns::default();
    /// skip.insert_exact("/health");
    /// assert!(skip.matches("/health") && !skip.matches("/health/x"));
    /// ```
    pub fn insert_exact(&mut self, path: &str) {
        if let Err(at) = self.exact.binary_search_by(|p| p.as_str().cmp(path)) {
            self.exact.insert(at, path.to_owned());
        }
    }

    /// Adds a public prefix.
    ///
    /// ```
    /// use axum_oauth_login::paths::PathPatterns;
    /// let mut skip = PathPatterns::default();
    /// skip.insert_prefix("/assets/");
    /// assert!(skip.matches("/assets/app.js") && !skip.matches("/assets"));
    /// ```
    pub fn insert_prefix(&mut self, prefix: &str) {
        self.prefixes.push(prefix.to_owned());
    }

    /// True when `path` is public. Allocates nothing.
    ///
    /// ```
    /// use axum_oauth_login::paths::PathPatterns;
    /// let skip = PathPatterns::new(["/login"]).unwrap();
    /// assert!(skip.matches("/login"));
    /// assert!(!skip.matches("/login/"));
    /// ```
    #[must_use]
    pub fn matches(&self, path: &str) -> bool {
        self.exact
            .binary_search_by(|p| p.as_str().cmp(path))
            .is_ok()
            || self.prefixes.iter().any(|p| path.starts_with(p.as_str()))
            || self.regexes.as_ref().is_some_and(|r| r.is_match(path))
    }
}

enum Kind {
    Exact(String),
    Prefix(String),
}

/// Recognises `literal` and `literal.*` (after the parser has resolved escapes such as `\.`).
fn classify(pattern: &str) -> Option<Kind> {
    let hir = regex_syntax::parse(pattern).ok()?;
    let literal = |h: &Hir| match h.kind() {
        HirKind::Literal(lit) => String::from_utf8(lit.0.to_vec()).ok(),
        HirKind::Empty => Some(String::new()),
        _ => None,
    };
    if let Some(path) = literal(&hir) {
        return Some(Kind::Exact(path));
    }
    let HirKind::Concat(parts) = hir.kind() else {
        return None;
    };
    let (last, init) = parts.split_last()?;
    let any = match last.kind() {
        HirKind::Repetition(rep) => {
            rep.min == 0 && rep.max.is_none() && *rep.sub == Hir::dot(Dot::AnyCharExceptLF)
        }
        _ => false,
    };
    if !any {
        return None;
    }
    let mut prefix = String::new();
    for part in init {
        prefix.push_str(&literal(part)?);
    }
    Some(Kind::Prefix(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_plain_paths_and_prefixes_without_regex() {
        let set = PathPatterns::new([r"/favicon\.ico", "/static/.*", "/a|/b"]).unwrap();
        assert_eq!(set.exact, vec!["/favicon.ico".to_owned()]);
        assert_eq!(set.prefixes, vec!["/static/".to_owned()]);
        assert!(set.regexes.is_some());
        assert!(set.matches("/a") && set.matches("/b") && !set.matches("/ab"));
    }

    #[test]
    fn exact_paths_match_whatever_order_they_came_in() {
        let paths = ["/z", "/a", "/m/n", "/", "/a/b", "/login"];
        let mut set = PathPatterns::new(&paths[..3]).unwrap();
        for path in &paths[3..] {
            set.insert_exact(path);
        }
        set.insert_exact("/a");
        assert_eq!(set.exact.len(), paths.len(), "no duplicates");
        for path in paths {
            assert!(set.matches(path), "{path}");
        }
        for miss in ["", "/b", "/a/", "/login/x", "/zz"] {
            assert!(!set.matches(miss), "{miss}");
        }
    }

    #[test]
    fn patterns_match_the_whole_path() {
        let set = PathPatterns::new([r"/x\d"]).unwrap();
        assert!(set.matches("/x1"));
        assert!(!set.matches("/x1/private"));
        assert!(!set.matches("/prefix/x1"));
    }

    #[test]
    fn dot_star_in_the_middle_is_a_regex() {
        let set = PathPatterns::new([r"/.*\.css"]).unwrap();
        assert!(set.prefixes.is_empty());
        assert!(set.matches("/app/site.css"));
        assert!(!set.matches("/app/site.js"));
    }

    #[test]
    fn invalid_pattern_is_an_error() {
        assert!(PathPatterns::new(["/("]).is_err());
    }
}
