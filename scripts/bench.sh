#!/usr/bin/env bash
# "The guard costs nothing": throughput and p99 latency of the guard next to its baselines, side by
# side in one run, with wrk. The servers are `benches/servers.rs` (release build), pinned to one
# core; wrk is pinned to another. Each scenario gets a fresh server, a warm-up, then a measured run;
# scenarios are interleaved over several rounds and the median of the rounds is reported, with the
# median of the per-round ratios (each pair ran minutes apart at most, so it drifts less).
#
#   a  bare Axum hello                                  GET /            (no session)
#   b  Axum + tower-sessions reading one key            GET /protected   valid session
#   c  this library's guard, memory store               GET /protected   valid session (real login)
#   c-redis         same, Redis store (its cache on)    GET /protected   valid session (real login)
#   c-redis-direct  same, Redis with ?cache=off         GET /protected   (a Redis GET per request)
#   d  axum-login 0.18 login_required!                  GET /protected   valid session
#   e  this library's guard, anonymous                  GET /protected   no cookie -> 303
#   f  this library's guard, skipped path               GET /public      no cookie
#
# Targets (issue "the guard costs nothing"): c >= 0.95 b, c >= 1.0 d, f >= 0.97 a, e >= 0.95 a,
# c-redis >= 0.8 c.
#
# Settings (environment): DURATION (s, default 5), WARMUP (s, 1), ROUNDS (3), CONNECTIONS (32),
# SERVER_CPU (0), LOAD_CPU (1), REDIS_URL (redis://127.0.0.1:6379), WAIT_QUIET (s to wait for a
# load average below 0.7, default 0), RESULTS (a file for the raw numbers, default
# $CARGO_TARGET_DIR/bench/results.tsv).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-32}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
OUT_DIR="$CARGO_TARGET_DIR/bench"
RESULTS=${RESULTS:-$OUT_DIR/results.tsv}
mkdir -p "$OUT_DIR"

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench.sh: %s\n' "$*" >&2; exit 1; }

# --- tools -------------------------------------------------------------------------------------
need_apt() { # command package
  command -v "$1" >/dev/null && return
  log "installing $2"
  if [[ -z ${APT_UPDATED:-} ]]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  command -v "$1" >/dev/null || die "$1 is missing and could not be installed"
}
need_apt wrk wrk
need_apt taskset util-linux
need_apt curl curl
(( $(nproc) >= 2 )) || log "only $(nproc) core(s): server and wrk will share a core"

# --- Redis for c-redis --------------------------------------------------------------------------
redis_ping() {
  local hostport=${REDIS_URL#redis://}; hostport=${hostport%%/*}
  { exec 9<>"/dev/tcp/${hostport%:*}/${hostport#*:}"; } 2>/dev/null || return 1
  printf 'PING\r\n' >&9
  local reply; read -r -t 2 reply <&9 || true
  exec 9>&- 9<&-
  [[ $reply == +PONG* ]]
}
redis_cpu() { # CPU seconds Redis has used so far (INFO cpu: used_cpu_sys + used_cpu_user)
  local hostport=${REDIS_URL#redis://}; hostport=${hostport%%/*}
  { exec 8<>"/dev/tcp/${hostport%:*}/${hostport#*:}"; } 2>/dev/null || { echo 0; return; }
  printf 'INFO cpu\r\n' >&8
  local line total=0 seen=0
  while read -r -t 2 line <&8; do
    line=${line%$'\r'}
    case $line in
      used_cpu_sys:*|used_cpu_user:*) total=$(awk -v a="$total" -v b="${line#*:}" 'BEGIN {print a + b}'); seen=$((seen + 1)) ;;
    esac
    (( seen == 2 )) && break
  done
  exec 8>&- 8<&-
  echo "$total"
}

WITH_REDIS=1
if ! redis_ping; then
  if command -v redis-server >/dev/null && [[ $REDIS_URL == redis://127.0.0.1:6379* ]]; then
    log "starting redis-server on 127.0.0.1:6379"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || true
    sleep 1
  fi
  redis_ping || { log "no Redis at $REDIS_URL: the Redis scenario is skipped"; WITH_REDIS=0; }
fi

# --- build -------------------------------------------------------------------------------------
log "building benches/servers.rs (release)"
BIN=$(cargo bench --bench servers --no-run --message-format=json-render-diagnostics \
  | grep '"executable":"' | grep '"name":"servers"' \
  | sed -E 's/.*"executable":"([^"]+)".*/\1/' | tail -n1)
[[ -x $BIN ]] || die "no servers binary (cargo bench --bench servers --no-run)"

# --- one measurement ---------------------------------------------------------------------------
SERVER_PID=
TMP=$(mktemp -d)
cleanup() {
  if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

start_server() { # variant; sets SERVER_PID BASE COOKIE
  : >"$TMP/server.out"
  taskset -c "$SERVER_CPU" "$BIN" "$1" 0 >"$TMP/server.out" 2>"$TMP/server.err" &
  SERVER_PID=$!
  local i
  for i in $(seq 1 300); do
    grep -qx ready "$TMP/server.out" && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "server $1 died: $(cat "$TMP/server.err")"
    sleep 0.1
  done
  grep -qx ready "$TMP/server.out" || die "server $1 not ready after 30 s: $(cat "$TMP/server.err")"
  BASE=$(sed -n 's/^listening on //p' "$TMP/server.out")
  COOKIE=$(sed -n 's/^cookie: //p' "$TMP/server.out")
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
CLK_TCK=$(getconf CLK_TCK)

to_ms() { # wrk duration (123.45us, 1.23ms, 1.02s) -> milliseconds
  awk -v d="$1" 'BEGIN {
    v = d + 0; u = d; sub(/^[0-9.]+/, "", u);
    if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000;
    printf "%.3f", v }'
}

measure() { # scenario variant path cookie(0/1) expected-status round
  local name=$1 variant=$2 path=$3 with_cookie=$4 expected=$5 round=$6
  start_server "$variant"
  local -a header=()
  if [[ $with_cookie == 1 ]]; then
    [[ -n $COOKIE ]] || die "$name: the server printed no cookie"
    header=(-H "Cookie: $COOKIE")
  fi
  local status
  status=$(curl -s -o /dev/null -w '%{http_code}' "${header[@]}" "$BASE$path")
  [[ $status == "$expected" ]] || die "$name: GET $path answered $status, expected $expected"
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" "${header[@]}" "$BASE$path" >/dev/null
  local t0 t1 r0=0 r1=0
  [[ $variant == guard-redis* ]] && r0=$(redis_cpu)
  t0=$(cpu_ticks "$SERVER_PID")
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "${header[@]}" "$BASE$path" >"$TMP/wrk.out"
  t1=$(cpu_ticks "$SERVER_PID")
  [[ $variant == guard-redis* ]] && r1=$(redis_cpu)
  stop_server
  local rps p99 p50 bad cpu rcpu
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$TMP/wrk.out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$TMP/wrk.out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$TMP/wrk.out")")
  bad=$(awk '/Non-2xx or 3xx responses:/ {n += $5} /Socket errors:/ {n += $4 + $6 + $8 + $10} END {print n + 0}' "$TMP/wrk.out" | tr -d ',')
  cpu=$(awk -v t="$((t1 - t0))" -v hz="$CLK_TCK" -v d="$DURATION" 'BEGIN {printf "%.0f", 100 * t / hz / d}')
  rcpu=$(awk -v a="$r0" -v b="$r1" -v d="$DURATION" 'BEGIN {printf "%.0f", 100 * (b - a) / d}')
  [[ -n $rps ]] || die "$name: no wrk result: $(cat "$TMP/wrk.out")"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$round" "$rps" "$p50" "$p99" "$cpu" "$bad" "$rcpu" >>"$RESULTS"
  printf '  round %s %-9s %10.0f req/s  p50 %7.3f ms  p99 %7.3f ms  server CPU %3s%%  Redis CPU %3s%%  errors %s\n' \
    "$round" "$name" "$rps" "$p50" "$p99" "$cpu" "$rcpu" "$bad" >&2
}

SCENARIOS=(
  "a|hello|/|0|200"
  "b|sessions|/protected|1|200"
  "c|guard-memory|/protected|1|200"
  "c-redis|guard-redis|/protected|1|200"
  "c-redis-direct|guard-redis-direct|/protected|1|200"
  "d|axum-login|/protected|1|200"
  "e|guard-memory|/protected|0|303"
  "f|guard-memory|/public|0|200"
)

# --- a quiet machine ---------------------------------------------------------------------------
# Anything else running (a compiler) steals the cores and makes the numbers noise: wait for quiet
# up to WAIT_QUIET seconds (default 0), then go on with a warning.
load1() { cut -d' ' -f1 /proc/loadavg; }
quiet() { awk -v l="$(load1)" 'BEGIN { exit !(l < 0.7) }'; }
waited=0
while ! quiet && (( waited < ${WAIT_QUIET:-0} )); do sleep 10; waited=$((waited + 10)); done
quiet || log "WARNING: load average $(load1) before the run: other work shares the cores, numbers are noisy"

# --- machine -----------------------------------------------------------------------------------
{
  echo "date:      $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu:       $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "kernel:    $(uname -r)"
  echo "rustc:     $(rustc --version)"
  echo "wrk:       $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2)"
  echo "settings:  ${DURATION}s measured + ${WARMUP}s warm-up per run, ${ROUNDS} rounds, ${CONNECTIONS} connections, 1 wrk thread"
  echo "pinning:   server on CPU $SERVER_CPU, wrk on CPU $LOAD_CPU (taskset); Redis unpinned"
  echo "load:      $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) before the run"
} | tee "$OUT_DIR/machine.txt"

printf 'scenario\tround\treq_per_s\tp50_ms\tp99_ms\tserver_cpu_pct\terrors\tredis_cpu_pct\n' >"$RESULTS"
for round in $(seq 1 "$ROUNDS"); do
  log "round $round/$ROUNDS"
  for s in "${SCENARIOS[@]}"; do
    IFS='|' read -r name variant path with_cookie expected <<<"$s"
    [[ $name == c-redis* && $WITH_REDIS == 0 ]] && continue
    measure "$name" "$variant" "$path" "$with_cookie" "$expected" "$round"
  done
done

# --- report ------------------------------------------------------------------------------------
awk -F'\t' '
  NR == 1 { next }
  { n[$1]++; rps[$1, n[$1]] = $3; p50[$1, n[$1]] = $4; p99[$1, n[$1]] = $5; cpu[$1, n[$1]] = $6; bad[$1] += $7; rcpu[$1, n[$1]] = $8 }
  function median(arr, k, m,   i, j, t, v) {
    for (i = 1; i <= m; i++) v[i] = arr[k, i]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
    return (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
  }
  function spread(arr, k, m,   i, lo, hi) {
    lo = hi = arr[k, 1]
    for (i = 2; i <= m; i++) { if (arr[k, i] + 0 < lo + 0) lo = arr[k, i]; if (arr[k, i] + 0 > hi + 0) hi = arr[k, i] }
    return sprintf("%.0f-%.0f", lo, hi)
  }
  END {
    split("a b c c-redis c-redis-direct d e f", order, " ")
    label["a"] = "a  bare Axum hello"
    label["b"] = "b  tower-sessions, read one key"
    label["c"] = "c  guard, memory store, logged in"
    label["c-redis"] = "c-redis  guard, Redis store, logged in"
    label["c-redis-direct"] = "c-redis-direct  the same, ?cache=off"
    label["d"] = "d  axum-login login_required!"
    label["e"] = "e  guard, anonymous -> 303"
    label["f"] = "f  guard, skipped path"
    for (i = 1; i <= 8; i++) { k = order[i]; if (n[k]) { R[k] = median(rps, k, n[k]); P[k] = median(p99, k, n[k]) } }
    printf "\n| scenario | req/s (median) | req/s (min-max) | p50 ms | p99 ms | server CPU | Redis CPU | x(a) | x(b) | errors |\n"
    printf "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    for (i = 1; i <= 8; i++) {
      k = order[i]; if (!n[k]) continue
      rc = (k ~ /^c-redis/) ? sprintf("%.0f%%", median(rcpu, k, n[k])) : "-"
      printf "| %s | %.0f | %s | %.3f | %.3f | %.0f%% | %s | %.3f | %.3f | %d |\n", label[k], R[k], spread(rps, k, n[k]),
        median(p50, k, n[k]), P[k], median(cpu, k, n[k]), rc, R[k] / R["a"], R[k] / R["b"], bad[k]
    }
    # Per round, the two scenarios ran minutes apart at most: the median of those ratios drifts
    # less with the machine than the ratio of the medians.
    printf "\n| target | ratio of medians | verdict | per-round ratio: median (min-max) |\n|---|---:|---|---:|\n"
    t("c >= 0.95 x b", "c", "b", 0.95); t("c >= 1.0 x d", "c", "d", 1.0)
    t("f >= 0.97 x a", "f", "a", 0.97); t("e >= 0.95 x a", "e", "a", 0.95)
    if (n["c-redis"]) t("c-redis >= 0.8 x c (memory)", "c-redis", "c", 0.8)
    if (n["c-redis-direct"]) t("(c-redis-direct >= 0.8 x c, for comparison)", "c-redis-direct", "c", 0.8)
  }
  function t(what, x, y, goal,   r, i, m, q) {
    r = R[x] / R[y]
    m = (n[x] < n[y]) ? n[x] : n[y]
    for (i = 1; i <= m; i++) q["r", i] = rps[x, i] / rps[y, i]
    printf "| %s | %.3f | %s | %.3f (%s) |\n", what, r,
      (r >= goal) ? "met" : sprintf("MISSED by %.1f%%", 100 * (goal - r) / goal),
      median(q, "r", m), ratio_spread(q, m)
  }
  function ratio_spread(q, m,   i, lo, hi) {
    lo = hi = q["r", 1]
    for (i = 2; i <= m; i++) { if (q["r", i] < lo) lo = q["r", i]; if (q["r", i] > hi) hi = q["r", i] }
    return sprintf("%.2f-%.2f", lo, hi)
  }
' "$RESULTS" | tee "$OUT_DIR/summary.md"
echo "load:      $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) after the run" | tee -a "$OUT_DIR/machine.txt"
echo
echo "raw numbers: $RESULTS; summary: $OUT_DIR/summary.md" >&2
