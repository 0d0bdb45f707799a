//! Compile-time behaviour of `#[oauth]`, `#[get_auth]`, `#[check_invalid]` and `#[logout]`:
//! every accepted form compiles (and its `main` runs), every mistake is a compile error at the
//! offending token, one mistake per file.
//!
//! The `.stderr` snapshots are recorded on the pinned toolchain (`rust-toolchain.toml`):
//! `TRYBUILD=overwrite cargo test --test ui`, then read each diff. One file only:
//! `cargo test --test ui -- trybuild=unknown_key.rs`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/*/pass/*.rs");
    t.compile_fail("tests/ui/*/fail/*.rs");
}
