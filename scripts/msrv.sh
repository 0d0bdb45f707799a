#!/usr/bin/env bash
# Checks that both published crates build, all features on, with the Rust version they declare
# (`rust-version` in Cargo.toml), from the lock file. Installs that toolchain when missing.
# Its build goes to `$CARGO_TARGET_DIR/msrv`: another compiler shares nothing with the pinned one.
set -euo pipefail
cd "$(dirname "$0")/.."

msrv=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
[[ -n $msrv ]] || { echo "no rust-version in Cargo.toml"; exit 1; }
# rust-version "1.88" means the toolchain 1.88.0.
toolchain=$msrv
[[ $toolchain =~ ^[0-9]+\.[0-9]+$ ]] && toolchain="$toolchain.0"
if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
  rustup toolchain install "$toolchain" --profile minimal
fi

target="${CARGO_TARGET_DIR:-target}/msrv"
CARGO_TARGET_DIR="$target" cargo "+$toolchain" check --locked --all-features \
  -p axum-oauth-login-macros -p axum-oauth-login
echo "MSRV $msrv: both crates build"
