//! Compile-time behaviour of `#[oauth]`, `#[get_auth]`, `#[check_invalid]` and `#[logout]`:
//! every accepted form compiles (and its `main` runs), every mistake is a compile error at the
//! offending token, one mistake per file.
//!
//! The `.stderr` snapshots are recorded on the pinned toolchain (`rust-toolchain.toml`):
//! `TRYBUILD=overwrite cargo test -p oauth-ui-tests`, then read each diff. One file only:
//! `cargo test -p oauth-ui-tests --test ui -- --exact ui trybuild=unknown_key.rs`. The cases live in a package of their
//! own (`Cargo.toml` beside this file) so that trybuild compiles only what they use.

use std::fs;
use std::path::Path;

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("*/pass/*.rs");
    t.compile_fail("*/fail/*.rs");
}

/// Words of the macros' plumbing and of rustc's generic complaints about generated code: a user
/// who made a mistake must read about their own code, never about these.
const PLUMBING: &[&str] = &[
    "__private",
    "param_trait",
    "originates in the macro `",
    "AuthContext",
    "GuardContext",
    "LogoutContext",
    "BoxFuture",
    "Probe",
    "HasCheckInvalid",
    "HasLogout",
    "only traits defined in the current crate",
    "borrowed data escapes",
    "is not supported in `trait`s or `impl`s",
    "conflicting implementations of trait `OAuth`",
    "IntoResponse` is not satisfied",
];

/// Every recorded compile error of the UI cases is free of the plumbing's words (the snapshots
/// are what users see; `ui` checks that they are still what the compiler prints).
#[test]
fn no_error_message_names_the_plumbing() {
    let mut offenders = Vec::new();
    let mut scanned = 0;
    for kind in fs::read_dir(env!("CARGO_MANIFEST_DIR")).unwrap() {
        let fail = kind.unwrap().path().join("fail");
        let Ok(files) = fs::read_dir(&fail) else {
            continue;
        };
        for file in files {
            let path = file.unwrap().path();
            if path.extension().is_none_or(|e| e != "stderr") {
                continue;
            }
            scanned += 1;
            let text = fs::read_to_string(&path).unwrap();
            for word in PLUMBING {
                if text.contains(word) {
                    offenders.push(format!("{}: {word}", relative(&path)));
                }
            }
        }
    }
    assert!(scanned > 50, "only {scanned} .stderr files found");
    assert!(offenders.is_empty(), "{offenders:#?}");
}

fn relative(path: &Path) -> String {
    path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .display()
        .to_string()
}
