#!/usr/bin/env bash
# What one request costs, in CPU instructions and heap allocations: the `oneshot` cases of
# `benches/guard.rs` (the whole app in process, no sockets), counted by callgrind.
#
# wrk's req/s on a shared virtual machine vary by ±15% from round to round. Instruction counts do
# not: the same binary gives the same count whatever else the machine is doing, so these figures
# show differences of a few percent that `scripts/bench.sh` cannot. They are not time (a cache miss
# costs more than an add), so read them next to the wrk figures, not instead of them.
#
# Each case runs N requests under `valgrind --tool=callgrind`, collecting only inside the request
# loop (the login that makes the cookie is not counted); the figure is instructions / N.
#
# `<case>_with_recorder` runs a case with the Prometheus exporter's recorder installed: the
# library's metrics recorded, where the other cases have no recorder (the metrics are no-ops).
#
# Settings (environment): N (requests per case, default 2000), CASES (space-separated names,
# default all; guard_logged_in_redis and guard_logged_in_redis_direct (?cache=off) when Redis answers
# at REDIS_URL, default 127.0.0.1:6379).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-2000}
DEFAULT_CASES="bare_hello session_layer_no_cookie tower_sessions_read_one_key guard_skipped guard_anonymous guard_logged_in guard_logged_in_keep_tokens_false guard_logged_in_with_recorder guard_anonymous_with_recorder"
# With Redis on 127.0.0.1:6379 (or REDIS_URL), the logged-in request with sessions there too:
# callgrind counts the client's work, not the time spent waiting for Redis.
redis_hostport=${REDIS_URL:-redis://127.0.0.1:6379}; redis_hostport=${redis_hostport#redis://}; redis_hostport=${redis_hostport%%/*}
if { exec 9<>"/dev/tcp/${redis_hostport%:*}/${redis_hostport#*:}"; } 2>/dev/null; then
  exec 9>&- 9<&-
  DEFAULT_CASES+=" guard_logged_in_redis guard_logged_in_redis_direct"
fi
CASES=${CASES:-$DEFAULT_CASES}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'instructions.sh: %s\n' "$*" >&2; exit 1; }

if ! command -v valgrind >/dev/null; then
  log "installing valgrind"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
fi

log "building benches/guard.rs (release)"
BIN=$(cargo bench --bench guard --no-run --message-format=json-render-diagnostics \
  | grep '"executable":"' | grep '"name":"guard"' \
  | sed -E 's/.*"executable":"([^"]+)".*/\1/' | tail -n1)
[[ -x $BIN ]] || die "no guard benchmark binary (cargo bench --bench guard --no-run)"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

declare -A IR ALLOC
for case in $CASES; do
  valgrind --tool=callgrind --collect-atstart=no --toggle-collect='guard::requests' \
    --callgrind-out-file="$TMP/$case.out" "$BIN" --count "$case" "$N" >"$TMP/$case.stdout" 2>"$TMP/$case.err" \
    || die "$case failed: $(tail -n 20 "$TMP/$case.err")"
  total=$(sed -n 's/^totals: *//p; s/^summary: *//p' "$TMP/$case.out" | head -n1 | awk '{print $1}')
  [[ -n $total && $total -gt 0 ]] || die "$case: callgrind collected nothing (is guard::requests inlined?)"
  IR[$case]=$(( total / N ))
  ALLOC[$case]=$(sed -n 's/^allocations per request: //p' "$TMP/$case.stdout")
  log "$case: ${IR[$case]} instructions, ${ALLOC[$case]} allocations per request"
done

ratio() { # numerator denominator
  [[ -n ${IR[$2]:-} ]] || { echo "-"; return; }
  awk -v a="${IR[$1]}" -v b="${IR[$2]}" 'BEGIN {printf "%.2f", a / b}'
}

printf '\n| case | instructions / request | allocations / request | × bare_hello | × tower_sessions_read_one_key |\n'
printf '|---|---:|---:|---:|---:|\n'
for case in $CASES; do
  printf '| %s | %s | %s | %s | %s |\n' "$case" "${IR[$case]}" "${ALLOC[$case]}" \
    "$(ratio "$case" bare_hello)" "$(ratio "$case" tower_sessions_read_one_key)"
done
