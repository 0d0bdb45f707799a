//! Request parameters, parsed the way RFC 6749 §3.1 asks.

/// At most this many parameters per request; more is refused.
const MAX_PARAMS: usize = 64;

/// The parameters of a query string or a form body.
#[derive(Debug, Default)]
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    /// Parses `application/x-www-form-urlencoded` bytes. A parameter sent twice (RFC 6749 §3.1:
    /// "MUST NOT be included more than once") or too many parameters is an error.
    pub(super) fn parse(bytes: &[u8]) -> Result<Self, &'static str> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (name, value) in url::form_urlencoded::parse(bytes) {
            if pairs.len() == MAX_PARAMS {
                return Err("too many parameters");
            }
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err("a parameter is repeated");
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        Ok(Self(pairs))
    }

    /// The value of `name`; an empty value counts as absent (RFC 6749 §3.1).
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Params;

    #[test]
    fn parses_decodes_and_refuses_repeats() {
        let params = Params::parse(b"a=1&b=x%20y&c=").unwrap();
        assert_eq!(params.get("a"), Some("1"));
        assert_eq!(params.get("b"), Some("x y"));
        assert_eq!(params.get("c"), None);
        assert_eq!(params.get("d"), None);
        assert!(Params::parse(b"a=1&a=2").is_err());
        let many: Vec<String> = (0..100).map(|i| format!("p{i}=1")).collect();
        assert!(Params::parse(many.join("&").as_bytes()).is_err());
    }
}
