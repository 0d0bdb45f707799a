//! The runtime's module graph: which module names which (`crate::x`, `use crate::{x, ...}`, and the
//! crate-root re-exports by the module that defines them). No cycles, except the ones listed
//! here while they last (ARCHITECTURE.md, "Where it is going"): a new cycle fails this test.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Cycles still to break, each as its sorted modules (none today; keep the list for the next).
const KNOWN_CYCLES: &[&[&str]] = &[];

/// Crate-root re-exports, by the module that defines them.
const ROOT_ITEMS: &[(&str, &str)] = &[
    ("Error", "error"),
    ("Client", "client"),
    ("Ident", "extract"),
    ("Login", "extract"),
    ("UserTokens", "extract"),
    ("GuardedApp", "app"),
    ("OAuthBuilder", "install"),
    ("Tokens", "userinfo"),
    ("UserInfo", "userinfo"),
    ("SessionCookie", "session"),
    ("RateLimit", "ratelimit"),
    ("describe_metrics", "telemetry"),
    ("ClientKey", "client_key"),
    ("StepUp", "stepup"),
];

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("oauth-runtime/src");
    let path_ref = regex::Regex::new(r"crate::([A-Za-z_]+)").unwrap();
    let use_list = regex::Regex::new(r"(?s)use crate::\{([^}]*)\}").unwrap();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = Vec::new();
    collect(&src, &mut files);
    for file in files {
        let relative = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let module = relative
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_owned();
        if module == "lib" || relative.ends_with("tests.rs") || relative.ends_with("tests_more.rs")
        {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap();
        // The code only: unit tests and comments may name anything.
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap()
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut names: BTreeSet<String> = path_ref
            .captures_iter(&code)
            .map(|c| c[1].to_owned())
            .collect();
        for list in use_list.captures_iter(&code) {
            for part in list[1].split(',') {
                let first = part.trim().split("::").next().unwrap_or_default();
                if !first.is_empty() {
                    names.insert(first.to_owned());
                }
            }
        }
        let deps = graph.entry(module.clone()).or_default();
        for name in names {
            let target = ROOT_ITEMS
                .iter()
                .find(|(item, _)| *item == name)
                .map_or(name.clone(), |(_, module)| (*module).to_owned());
            if target != module {
                deps.insert(target);
            }
        }
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for deps in graph.values_mut() {
        deps.retain(|d| modules.contains(d));
    }
    graph
}

fn collect(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// Every cycle, as its sorted set of modules.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<Vec<String>> {
    fn walk(
        graph: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        node: &str,
        path: &mut Vec<String>,
        found: &mut BTreeSet<Vec<String>>,
    ) {
        for next in &graph[node] {
            if next == start {
                let mut cycle = path.clone();
                cycle.sort();
                found.insert(cycle);
            } else if !path.contains(next) && path.len() < 8 {
                path.push(next.clone());
                walk(graph, start, next, path, found);
                path.pop();
            }
        }
    }
    let mut found = BTreeSet::new();
    for start in graph.keys() {
        walk(graph, start, start, &mut vec![start.clone()], &mut found);
    }
    found
}

#[test]
fn the_runtimes_modules_have_no_new_import_cycles() {
    let graph = graph();
    assert!(graph.len() > 20, "only {} modules found", graph.len());
    let known: BTreeSet<Vec<String>> = KNOWN_CYCLES
        .iter()
        .map(|c| c.iter().map(|m| (*m).to_owned()).collect())
        .collect();
    let found = cycles(&graph);
    let new: Vec<_> = found.difference(&known).collect();
    assert!(
        new.is_empty(),
        "import cycles among the runtime's modules: {new:?}"
    );
    let gone: Vec<_> = known.difference(&found).collect();
    assert!(
        gone.is_empty(),
        "broken cycles still listed in KNOWN_CYCLES: {gone:?}"
    );
}

#[test]
fn the_stores_know_nothing_of_the_guard_the_vault_or_the_flow() {
    let graph = graph();
    let store = &graph["store"];
    for module in ["guard", "vault", "flow", "install", "state", "routes"] {
        assert!(!store.contains(module), "store names {module}: {store:?}");
    }
    // Nor of what a session holds: the Redis cache is told which records to keep.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("oauth-runtime/src");
    let mut files = vec![src.join("store.rs")];
    collect(&src.join("store"), &mut files);
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        for key in ["STAMP_KEY", "RECORD_KEY", "AUTH_KEY"] {
            assert!(!code.contains(key), "{} reads {key}", file.display());
        }
    }
}

/// The names `#[oauth(provider = "...")]` accepts (the macros' own list, read from their source:
/// a proc-macro crate exports only macros) are the runtime's, plus the development provider; and
/// every runtime name is known to `client_from_env` and is the name its client carries.
#[tokio::test]
async fn the_macros_and_the_runtime_know_the_same_providers() {
    let check = Path::new(env!("CARGO_MANIFEST_DIR")).join("oauth-macros/src/oauth/check.rs");
    let text = fs::read_to_string(check).unwrap();
    let list = text
        .split("pub(crate) const PROVIDERS: &[&str] = &[")
        .nth(1)
        .and_then(|rest| rest.split("];").next())
        .expect("the macros' PROVIDERS list");
    let macros: Vec<&str> = regex::Regex::new(r#""([a-z0-9]+)""#)
        .unwrap()
        .captures_iter(list)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    let mut runtime: Vec<&str> = axum_oauth_login::provider::NAMES.to_vec();
    runtime.push("dev");
    assert_eq!(macros, runtime);

    for name in axum_oauth_login::provider::NAMES {
        // Without credentials in the environment each one fails, but never as an unknown name.
        if let Err(error) = axum_oauth_login::provider::client_from_env(name).await {
            assert!(
                !error.to_string().contains("unknown provider"),
                "{name}: {error}"
            );
        }
    }
    let clients: Vec<axum_oauth_login::Client> = vec![
        axum_oauth_login::GoogleAppClient::new("id", "secret").into(),
        axum_oauth_login::GitHubAppClient::new("id", "secret").into(),
        axum_oauth_login::HuggingFaceClient::new("id", "secret").into(),
        axum_oauth_login::DiscordAppClient::new("id", "secret").into(),
        axum_oauth_login::GitLabAppClient::new("id", "secret").into(),
    ];
    for client in clients {
        assert!(
            axum_oauth_login::provider::NAMES.contains(&client.provider().name),
            "{}",
            client.provider().name
        );
    }
}
