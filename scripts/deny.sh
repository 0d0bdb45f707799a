#!/usr/bin/env bash
# cargo-deny with deny.toml:
# - bans, offline: one crypto provider in the tree (no ring, rsa, openssl, native-tls);
# - advisories: the RustSec database, fetched from github.com with a time limit
#   (ADVISORY_FETCH_TIMEOUT seconds, default 60); when that fails, the cached copy in
#   $CARGO_HOME/advisory-dbs; when there is none, a clone at ADVISORY_DB_MIRROR seeds that cache;
#   with no database at all, a loud warning and no advisory check, or a failure when
#   ADVISORIES_REQUIRED=1.
# Installs cargo-deny when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo deny --version >/dev/null 2>&1; then
  cargo install --locked cargo-deny
fi

# cargo-deny reads `cargo metadata` of every target, offline: the sources of every crate in the
# lock file must be on this machine, also the ones no build here compiles (Android's, Windows').
cargo fetch --locked

echo "-- bans (offline)"
cargo deny --offline check bans

echo "-- advisories"
# Where cargo-deny keeps its clone of the default database (https://github.com/RustSec/advisory-db).
db="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs/advisory-db-3157b0e258782691"

if timeout "${ADVISORY_FETCH_TIMEOUT:-60}" cargo deny fetch db; then
  echo "advisory database: fetched from github.com"
elif [[ -d $db/.git ]]; then
  echo "WARNING: the advisory database could not be fetched; using the cached copy of $(git -C "$db" log -1 --format=%cd --date=short)"
elif [[ -n ${ADVISORY_DB_MIRROR:-} ]]; then
  git clone --quiet --depth=1 --branch main "file://$(realpath "$ADVISORY_DB_MIRROR")" "$db"
  # Later runs fetch from github.com again, and fall back to this copy.
  git -C "$db" remote set-url origin https://github.com/RustSec/advisory-db
  echo "advisory database: seeded from $ADVISORY_DB_MIRROR ($(git -C "$db" log -1 --format=%cd --date=short))"
else
  cat >&2 <<'WARN'

################################################################################
#  WARNING: NO ADVISORY CHECK. The RustSec database could not be fetched from  #
#  github.com and there is no cached copy. Known vulnerabilities in the        #
#  dependencies are NOT being checked. Set ADVISORY_DB_MIRROR to a clone of    #
#  rustsec/advisory-db, or ADVISORIES_REQUIRED=1 to make this an error.        #
################################################################################

WARN
  [[ ${ADVISORIES_REQUIRED:-0} == 1 ]] && exit 1
  exit 0
fi
cargo deny --offline check advisories
