#!/usr/bin/env bash
# The test suite: unit, UI (trybuild), flow and conformance tests, then doctests.
# Needs only a Rust toolchain, Node 20 + npm (for the `oidc-provider` peer) and loopback; installs
# headless Chromium + chromedriver (for tests/browser.rs) and libfaketime (for the clock steps of
# tests/stores.rs) with apt-get when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# The real OpenID Connect peer, installed from the lock file.
if [[ ! -d tests/oidc-provider/node_modules ]] || [[ tests/oidc-provider/package-lock.json -nt tests/oidc-provider/node_modules ]]; then
  npm ci --prefix tests/oidc-provider --no-audit --no-fund
fi

# The real browser of tests/browser.rs.
bash scripts/browser-deps.sh

# libfaketime, which steps the wall clock of an app under test (tests/stores/sql_faults.rs).
if [[ ! -e /usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 ]]; then
  as_root=()
  [[ $(id -u) -eq 0 ]] || as_root=(sudo)
  "${as_root[@]}" apt-get update
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends faketime
fi

if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install cargo-nextest --locked
fi

cargo nextest run --workspace --all-features --no-fail-fast
cargo test --workspace --all-features --doc
