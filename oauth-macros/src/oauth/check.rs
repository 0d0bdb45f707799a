//! The rules of `#[oauth(...)]`: [`Args`] -> [`Config`], every violation reported at its token.

use proc_macro2::{Span, TokenStream};
use regex_syntax::hir::Hir;
use regex_syntax::hir::literal::Extractor;
use syn::LitStr;

use super::attr::{Args, value};
use crate::errors::{Errors, one_of, suggest};

/// The providers `provider = "..."` accepts: the runtime's provider names. A new provider is one
/// more entry here.
pub(crate) const PROVIDERS: &[&str] = &[
    "google",
    "github",
    "huggingface",
    "discord",
    "gitlab",
    "auth0",
    "entra",
    "apple",
    "oidc",
    "dev",
];

/// Names users reach for that are another provider's: `(what they wrote, the provider, why)`.
/// Checked before the spelling suggestion, which cannot guess them.
const PROVIDER_ALIASES: &[(&str, &str, &str)] = &[
    (
        "microsoft",
        "entra",
        "Microsoft accounts log in through Entra ID",
    ),
    ("azure", "entra", "Azure AD is now Microsoft Entra ID"),
    ("azuread", "entra", "Azure AD is now Microsoft Entra ID"),
    ("azure_ad", "entra", "Azure AD is now Microsoft Entra ID"),
    ("aad", "entra", "Azure AD is now Microsoft Entra ID"),
    ("hf", "huggingface", "Hugging Face's key"),
    ("hugging_face", "huggingface", "Hugging Face's key"),
    ("hugging-face", "huggingface", "Hugging Face's key"),
    (
        "okta",
        "oidc",
        "with `OIDC_ISSUER` set to your Okta issuer URL",
    ),
    (
        "keycloak",
        "oidc",
        "with `OIDC_ISSUER` set to the realm's issuer URL",
    ),
    (
        "authentik",
        "oidc",
        "with `OIDC_ISSUER` set to the application's issuer URL",
    ),
    (
        "zitadel",
        "oidc",
        "with `OIDC_ISSUER` set to the instance's issuer URL",
    ),
    (
        "cognito",
        "oidc",
        "with `OIDC_ISSUER` set to the user pool's issuer URL",
    ),
    (
        "openid",
        "oidc",
        "any OpenID Connect provider, by its issuer URL",
    ),
    ("development", "dev", "the embedded development provider"),
];

/// The validated configuration, the only input of the expansion.
pub(crate) struct Config {
    pub(crate) provider: String,
    pub(crate) redirect: String,
    pub(crate) error: String,
    pub(crate) logout: String,
    pub(crate) login: String,
    /// Kept as the user's literals, so the expansion shows them as written.
    pub(crate) skip: Vec<LitStr>,
    /// As `skip`.
    pub(crate) public: Vec<LitStr>,
}

/// Checks `args` (parsed from `tokens`). The returned config is meaningful only when no error was
/// pushed.
pub(crate) fn check(args: &Args, tokens: &TokenStream, errors: &mut Errors) -> Config {
    let provider = provider(args, tokens, errors);
    // The order decides where a collision is reported: at the later key.
    let paths = [
        Path::new("redirect", "/redirect", value(&args.redirect)),
        Path::new("error", "/error", value(&args.error)),
        Path::new("logout", "/logout", value(&args.logout)),
        Path::new("login", "/login", value(&args.login)),
    ];
    for path in &paths {
        path.check(errors);
    }
    collisions(&paths, errors);
    let skip = patterns(value(&args.skip), "skip", &[], errors);
    let public = patterns(value(&args.public), "public", &skip, errors);
    let [redirect, error, logout, login] = paths.map(|p| p.value);
    Config {
        provider,
        redirect,
        error,
        logout,
        login,
        skip,
        public,
    }
}

/// The patterns of `key`: each valid, none repeated, none also in `other` (`skip`'s).
fn patterns(
    given: Option<&Vec<LitStr>>,
    key: &str,
    other: &[LitStr],
    errors: &mut Errors,
) -> Vec<LitStr> {
    let list = given.cloned().unwrap_or_default();
    for (i, pattern) in list.iter().enumerate() {
        if list[..i].iter().any(|p| p.value() == pattern.value()) {
            errors.spanned(pattern, format!("duplicate `{key}` pattern"));
        } else if other.iter().any(|p| p.value() == pattern.value()) {
            errors.spanned(
                pattern,
                format!(
                    "`{}` is in both `skip` and `public`: `skip` paths get no session, `public` ones do; keep one",
                    pattern.value()
                ),
            );
        } else {
            check_pattern(pattern, key, errors);
        }
    }
    list
}

fn provider(args: &Args, tokens: &TokenStream, errors: &mut Errors) -> String {
    let Some((_, given)) = &args.provider else {
        let message = format!(
            "missing `provider`, one of {}, e.g. `#[oauth(provider = \"github\")]`",
            one_of(PROVIDERS)
        );
        // At the arguments; at the whole attribute when there are none.
        if tokens.is_empty() {
            errors.at(Span::call_site(), message);
        } else {
            errors.spanned(tokens, message);
        }
        return String::new();
    };
    let Some(lit) = given else {
        return String::new();
    };
    let value = lit.value();
    if value.is_empty() {
        errors.spanned(
            lit,
            format!("empty `provider`, expected one of {}", one_of(PROVIDERS)),
        );
    } else if let Some((_, provider, why)) = PROVIDER_ALIASES
        .iter()
        .find(|(alias, ..)| value.eq_ignore_ascii_case(alias))
    {
        errors.spanned(
            lit,
            format!("unknown provider `{value}`: use `provider = \"{provider}\"` ({why})"),
        );
    } else if !PROVIDERS.contains(&value.as_str()) {
        errors.spanned(
            lit,
            format!("unknown provider `{value}`{}", suggest(&value, PROVIDERS)),
        );
    }
    value
}

/// One of the four paths, given or defaulted.
struct Path<'a> {
    key: &'static str,
    value: String,
    /// The user's literal; `None` for the default.
    lit: Option<&'a LitStr>,
}

impl<'a> Path<'a> {
    fn new(key: &'static str, default: &str, lit: Option<&'a LitStr>) -> Self {
        let value = lit.map_or_else(|| default.to_owned(), LitStr::value);
        Self { key, value, lit }
    }

    fn check(&self, errors: &mut Errors) {
        let (Some(lit), value, key) = (self.lit, &self.value, self.key) else {
            return;
        };
        let problem = if value.contains("://") {
            format!("`{key}` must be a path such as `\"/{key}\"`, not a URL")
        } else if !value.starts_with('/') {
            format!("`{key}` must start with `/`, e.g. `{key} = \"/{value}\"`")
        } else if value.contains(['?', '#']) {
            format!("`{key}` must be a bare path, without a query or fragment (`?`, `#`)")
        } else if value.contains(['{', '}', '*']) {
            format!("`{key}` must be a fixed path, without route parameters (`{{...}}`, `*`)")
        } else if value.contains(char::is_whitespace) {
            format!("`{key}` cannot contain whitespace")
        } else {
            return;
        };
        errors.spanned(lit, problem);
    }
}

/// The runtime adds routes at `redirect` and `logout`, so neither may equal another path.
/// `login` and `error` are the user's own routes and may be the same page.
fn collisions(paths: &[Path; 4], errors: &mut Errors) {
    let routes = ["redirect", "logout"];
    for (i, later) in paths.iter().enumerate() {
        for earlier in &paths[..i] {
            let involves_route = routes.contains(&earlier.key) || routes.contains(&later.key);
            if !involves_route || earlier.value != later.value {
                continue;
            }
            // Report at a key the user wrote, preferring the later one.
            let Some(lit) = later.lit.or(earlier.lit) else {
                continue;
            };
            errors.spanned(
                lit,
                format!(
                    "`{}` and `{}` are both `{}`: each needs its own path",
                    earlier.key, later.key, later.value
                ),
            );
        }
    }
}

/// A `skip` or `public` entry must be a regular expression that can match some path.
fn check_pattern(lit: &LitStr, key: &str, errors: &mut Errors) {
    let pattern = lit.value();
    if pattern.is_empty() {
        errors.spanned(lit, format!("empty `{key}` pattern: it matches no path"));
        return;
    }
    match regex_syntax::Parser::new().parse(&pattern) {
        Ok(hir) if matches_no_path(&hir) => errors.spanned(
            lit,
            format!(
                "`{key}` pattern `{pattern}` matches no path: patterns match the whole path, which starts with `/`"
            ),
        ),
        Ok(_) => {}
        Err(error) => errors.at(lit.span(), invalid_regex(&pattern, &error)),
    }
}

/// True when every match must begin with something other than `/` (`static/.*`, `api|/x`),
/// as far as the pattern's literal prefixes tell.
fn matches_no_path(hir: &Hir) -> bool {
    let prefixes = Extractor::new().extract(hir);
    prefixes.literals().is_some_and(|literals| {
        literals
            .iter()
            .all(|l| l.as_bytes().first().is_some_and(|b| *b != b'/'))
    })
}

/// "invalid regular expression `a)b`: unopened group at `)`".
fn invalid_regex(pattern: &str, error: &regex_syntax::Error) -> String {
    let (kind, span) = match error {
        regex_syntax::Error::Parse(e) => (e.kind().to_string(), *e.span()),
        regex_syntax::Error::Translate(e) => (e.kind().to_string(), *e.span()),
        other => return format!("invalid regular expression `{pattern}`: {other}"),
    };
    let at = pattern
        .get(span.start.offset..span.end.offset)
        .filter(|s| !s.is_empty());
    match at {
        Some(at) => format!("invalid regular expression `{pattern}`: {kind} at `{at}`"),
        None => format!("invalid regular expression `{pattern}`: {kind}"),
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;
    use crate::oauth::attr;

    /// The messages `#[oauth(<args>)]` produces, in order.
    fn messages(args: TokenStream) -> Vec<String> {
        let mut errors = Errors::new();
        if let Some(parsed) = attr::parse(args.clone(), &mut errors) {
            check(&parsed, &args, &mut errors);
        }
        match errors.finish() {
            Ok(()) => Vec::new(),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn valid_arguments() {
        assert_eq!(messages(quote!(provider = "github")), Vec::<String>::new());
        let all = quote!(
            provider = "dev",
            redirect = "/auth/callback",
            error = "/oops",
            logout = "/bye",
            login = "/signin",
            skip = ["/public", r"/static/.*", r"/img/\d+\.png", ".*\\.css"],
        );
        assert_eq!(messages(all), Vec::<String>::new());
        for provider in PROVIDERS {
            assert_eq!(messages(quote!(provider = #provider)), Vec::<String>::new());
        }
        // `login` and `error` may share a page.
        assert_eq!(
            messages(quote!(provider = "dev", error = "/login")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn values_of_the_config() {
        let mut errors = Errors::new();
        let args = quote!(provider = "google", logout = "/bye", skip = [r"/a/.*"]);
        let parsed = attr::parse(args.clone(), &mut errors).unwrap();
        let config = check(&parsed, &args, &mut errors);
        errors.finish().unwrap();
        assert_eq!(config.provider, "google");
        assert_eq!(config.redirect, "/redirect");
        assert_eq!(config.error, "/error");
        assert_eq!(config.logout, "/bye");
        assert_eq!(config.login, "/login");
        assert_eq!(config.skip[0].value(), "/a/.*");
    }

    #[test]
    fn three_typos_three_errors() {
        let got = messages(quote!(
            provider = "github",
            redirct = "/r",
            lgoin = "/l",
            skp = []
        ));
        assert_eq!(
            got,
            [
                "unknown key `redirct`, did you mean `redirect`",
                "unknown key `lgoin`, did you mean `login`",
                "unknown key `skp`, did you mean `skip`",
            ]
        );
    }

    #[test]
    fn unknown_key_without_close_match_lists_keys() {
        assert_eq!(
            messages(quote!(provider = "github", callback = "/cb")),
            [
                "unknown key `callback`, expected one of `provider`, `redirect`, `error`, `logout`, `login`, `skip`, `public`"
            ]
        );
    }

    #[test]
    fn duplicate_key() {
        assert_eq!(
            messages(quote!(provider = "github", login = "/a", login = "/b")),
            ["duplicate key `login`"]
        );
    }

    #[test]
    fn provider_errors() {
        assert_eq!(
            messages(quote!()),
            [
                "missing `provider`, one of `google`, `github`, `huggingface`, `discord`, `gitlab`, `auth0`, `entra`, `apple`, `oidc`, `dev`, e.g. `#[oauth(provider = \"github\")]`"
            ]
        );
        assert_eq!(
            messages(quote!(provider = "gihub")),
            ["unknown provider `gihub`, did you mean `github`"]
        );
        assert_eq!(
            messages(quote!(provider = "microsoft")),
            [
                "unknown provider `microsoft`: use `provider = \"entra\"` (Microsoft accounts log in through Entra ID)"
            ]
        );
        assert_eq!(
            messages(quote!(provider = "Keycloak")),
            [
                "unknown provider `Keycloak`: use `provider = \"oidc\"` (with `OIDC_ISSUER` set to the realm's issuer URL)"
            ]
        );
        for (alias, provider, _) in PROVIDER_ALIASES {
            assert!(PROVIDERS.contains(provider), "{alias} -> {provider}");
            assert!(!PROVIDERS.contains(alias), "{alias} is a provider");
        }
        assert_eq!(
            messages(quote!(provider = "twitter")),
            [
                "unknown provider `twitter`, expected one of `google`, `github`, `huggingface`, `discord`, `gitlab`, `auth0`, `entra`, `apple`, `oidc`, `dev`"
            ]
        );
        assert_eq!(
            messages(quote!(provider = "")),
            [
                "empty `provider`, expected one of `google`, `github`, `huggingface`, `discord`, `gitlab`, `auth0`, `entra`, `apple`, `oidc`, `dev`"
            ]
        );
        assert_eq!(
            messages(quote!(provider = github)),
            ["expected a string literal, e.g. `provider = \"github\"`"]
        );
    }

    #[test]
    fn path_errors() {
        let cases = [
            (
                quote!(redirect = "redirect"),
                "`redirect` must start with `/`, e.g. `redirect = \"/redirect\"`",
            ),
            (
                quote!(login = "https://example.com/login"),
                "`login` must be a path such as `\"/login\"`, not a URL",
            ),
            (
                quote!(error = "/error?x=1"),
                "`error` must be a bare path, without a query or fragment (`?`, `#`)",
            ),
            (
                quote!(logout = "/logout#top"),
                "`logout` must be a bare path, without a query or fragment (`?`, `#`)",
            ),
            (
                quote!(redirect = "/cb/{id}"),
                "`redirect` must be a fixed path, without route parameters (`{...}`, `*`)",
            ),
            (
                quote!(login = "/log in"),
                "`login` cannot contain whitespace",
            ),
            (
                quote!(redirect = 5),
                "expected a string literal, e.g. `redirect = \"/redirect\"`",
            ),
        ];
        for (arg, expected) in cases {
            assert_eq!(
                messages(quote!(provider = "dev", #arg)),
                [expected],
                "{arg}"
            );
        }
    }

    #[test]
    fn collisions_involve_the_routes() {
        assert_eq!(
            messages(quote!(provider = "dev", redirect = "/logout")),
            ["`redirect` and `logout` are both `/logout`: each needs its own path"]
        );
        assert_eq!(
            messages(quote!(provider = "dev", login = "/x", logout = "/x")),
            ["`logout` and `login` are both `/x`: each needs its own path"]
        );
        assert_eq!(
            messages(quote!(
                provider = "dev",
                redirect = "/x",
                error = "/x",
                login = "/x"
            )),
            [
                "`redirect` and `error` are both `/x`: each needs its own path",
                "`redirect` and `login` are both `/x`: each needs its own path",
            ]
        );
    }

    #[test]
    fn skip_errors() {
        let cases = [
            (
                quote!(skip = ["/a(b"]),
                "invalid regular expression `/a(b`: unclosed group at `(`",
            ),
            (
                quote!(skip = ["/a)b"]),
                "invalid regular expression `/a)b`: unopened group at `)`",
            ),
            (
                quote!(skip = [r"/\p{Nope}"]),
                "invalid regular expression `/\\p{Nope}`: Unicode property not found at `\\p{Nope}`",
            ),
            (
                quote!(skip = [""]),
                "empty `skip` pattern: it matches no path",
            ),
            (
                quote!(skip = ["static/.*"]),
                "`skip` pattern `static/.*` matches no path: patterns match the whole path, which starts with `/`",
            ),
            (quote!(skip = ["/a", "/a"]), "duplicate `skip` pattern"),
            (
                quote!(skip = [PUBLIC]),
                "`skip` entries must be string literals, e.g. `skip = [r\"/static/.*\", r\"/favicon\\.ico\"]`",
            ),
            (
                quote!(skip = "/public"),
                "expected a list of patterns, e.g. `skip = [r\"/static/.*\", r\"/favicon\\.ico\"]`",
            ),
            (quote!(public = ["/", "/"]), "duplicate `public` pattern"),
            (
                quote!(skip = ["/a"], public = ["/a"]),
                "`/a` is in both `skip` and `public`: `skip` paths get no session, `public` ones do; keep one",
            ),
            (
                quote!(public = ["blog"]),
                "`public` pattern `blog` matches no path: patterns match the whole path, which starts with `/`",
            ),
            (
                quote!(public = "/"),
                "expected a list of patterns, e.g. `public = [\"/\", r\"/blog/.*\"]`",
            ),
        ];
        for (arg, expected) in cases {
            assert_eq!(
                messages(quote!(provider = "dev", #arg)),
                [expected],
                "{arg}"
            );
        }
    }

    #[test]
    fn every_error_of_one_attribute() {
        let got = messages(quote!(
            provider = "gihub",
            redirect = "cb",
            skip = ["/ok", "(", 1],
            logot = "/bye"
        ));
        assert_eq!(got.len(), 5, "{got:#?}");
    }

    #[test]
    fn syntax_errors_stop_the_parse() {
        assert_eq!(messages(quote!(provider "github")), ["expected `=`"]);
        assert_eq!(
            messages(quote!(provider = "github" login = "/l")),
            ["expected `,`"]
        );
        assert_eq!(
            messages(quote!("github")),
            [
                "expected one of: `provider`, `redirect`, `error`, `logout`, `login`, `skip`, `public`"
            ]
        );
        // Errors found before the syntax error stay.
        assert_eq!(
            messages(quote!(lgoin = "/l", provider "github")),
            ["unknown key `lgoin`, did you mean `login`", "expected `=`"]
        );
    }
}
