//! `docs/conformance.md` stays true: every test it names exists where it says, and every module
//! of the certifiable relying-party plans is in its table or in its list of modules still to do,
//! never both. A module that loses its test, or a new module without one, fails here.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// The modules of the plans the library aims at (OpenID conformance suite names):
/// `oidcc-client-basic-certification-test-plan`, its form_post variant,
/// `oidcc-client-config-certification-test-plan`, RP-initiated and back-channel logout.
const MODULES: &[&str] = &[
    "oidcc-client-test",
    "oidcc-client-test-client-secret-basic",
    "oidcc-client-test-idtoken-sig-rs256",
    "oidcc-client-test-invalid-iss",
    "oidcc-client-test-missing-sub",
    "oidcc-client-test-invalid-aud",
    "oidcc-client-test-missing-iat",
    "oidcc-client-test-kid-absent-single-jwks",
    "oidcc-client-test-kid-absent-multiple-jwks",
    "oidcc-client-test-idtoken-sig-none",
    "oidcc-client-test-invalid-sig-rs256",
    "oidcc-client-test-invalid-sig-es256",
    "oidcc-client-test-userinfo-invalid-sub",
    "oidcc-client-test-nonce-invalid",
    "oidcc-client-test-scope-userinfo-claims",
    "oidcc-client-test-discovery-openid-config",
    "oidcc-client-test-discovery-jwks-uri-keys",
    "oidcc-client-test-discovery-issuer-mismatch",
    "oidcc-client-test-discovery-webfinger-acct",
    "oidcc-client-test-discovery-webfinger-url",
    "oidcc-client-test-signing-key-rotation-just-before-signing",
    "oidcc-client-test-signing-key-rotation",
    "oidcc-client-formpost-test",
    "oidcc-client-test-rp-init-logout",
    "oidcc-client-test-rp-init-logout-no-state",
    "oidcc-client-test-rp-init-logout-other-state",
    "oidcc-client-test-rp-backchannel-rpinitlogout",
    "oidcc-client-test-rp-backchannel-rpinitlogout-alg-none",
    "oidcc-client-test-rp-backchannel-rpinitlogout-no-event",
    "oidcc-client-test-rp-backchannel-rpinitlogout-with-nonce",
    "oidcc-client-test-rp-backchannel-rpinitlogout-wrong-alg",
    "oidcc-client-test-rp-backchannel-rpinitlogout-wrong-aud",
    "oidcc-client-test-rp-backchannel-rpinitlogout-wrong-event",
    "oidcc-client-test-rp-backchannel-rpinitlogout-wrong-iss",
];

struct Page {
    /// (module, `path::test`) of the "Covered" table.
    covered: Vec<(String, String)>,
    /// The modules of the "Still to do" table.
    to_do: Vec<String>,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The first backticked word of each table row of `section` (and the second, for the test).
fn rows(section: &str) -> Vec<Vec<String>> {
    section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            line.split('|')
                .map(|cell| {
                    let cell = cell.trim();
                    cell.split('`').nth(1).unwrap_or_default().to_owned()
                })
                .filter(|cell| !cell.is_empty())
                .collect()
        })
        .collect()
}

fn page() -> Page {
    let text = fs::read_to_string(root().join("docs/conformance.md")).unwrap();
    let (covered, to_do) = text
        .split_once("## Still to do")
        .expect("docs/conformance.md has a \"Still to do\" section");
    let covered = covered
        .split_once("## Covered")
        .expect("a \"Covered\" section")
        .1;
    Page {
        covered: rows(covered)
            .into_iter()
            .map(|row| (row[0].clone(), row.get(1).cloned().unwrap_or_default()))
            .collect(),
        to_do: rows(to_do).into_iter().map(|row| row[0].clone()).collect(),
    }
}

#[test]
fn every_test_named_in_the_conformance_table_exists() {
    let page = page();
    assert!(page.covered.len() >= 15, "only {} rows", page.covered.len());
    for (module, test) in &page.covered {
        let (file, name) = test
            .split_once("::")
            .unwrap_or_else(|| panic!("{module}: `{test}` is not `path::test`"));
        let code = fs::read_to_string(root().join(file))
            .unwrap_or_else(|_| panic!("{module}: no file {file}"));
        let defined = code.lines().any(|line| {
            let line = line.trim_start();
            line.starts_with(&format!("async fn {name}()"))
                || line.starts_with(&format!("fn {name}()"))
        });
        assert!(defined, "{module}: no test `{name}` in {file}");
        // A test, not a helper: the line before the definition is a test attribute.
        let before = code
            .lines()
            .collect::<Vec<_>>()
            .windows(2)
            .find(|w| w[1].trim_start().contains(&format!("fn {name}()")))
            .map(|w| w[0].trim().to_owned())
            .unwrap_or_default();
        assert!(
            before.starts_with("#[tokio::test") || before.starts_with("#[test"),
            "{module}: `{name}` in {file} is not a test ({before})"
        );
    }
}

#[test]
fn every_module_of_the_plans_has_a_test_or_is_listed_as_still_to_do() {
    let page = page();
    let covered: BTreeSet<&str> = page.covered.iter().map(|(m, _)| m.as_str()).collect();
    let to_do: BTreeSet<&str> = page.to_do.iter().map(String::as_str).collect();
    for module in MODULES {
        assert!(
            covered.contains(module) || to_do.contains(module),
            "{module} is neither covered nor listed as still to do in docs/conformance.md"
        );
        assert!(
            !(covered.contains(module) && to_do.contains(module)),
            "{module} is both covered and still to do"
        );
    }
    for module in covered.iter().chain(&to_do) {
        assert!(
            MODULES.contains(module),
            "{module} is not a module of the plans here"
        );
    }
}
