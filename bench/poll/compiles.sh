#!/usr/bin/env bash
# bench/poll/compiles.sh: where V8's optimizing compiler (TurboFan) spends a
# whole `tcplens run` (as builds.sh runs it: every view, a private ClickHouse,
# 15 s at 3 s, a farm of sockets): node `--trace-opt --trace-deopt
# --trace-deopt-verbose --trace-protector-invalidation`, V8's trace and the
# log in one stream (stdbuf -o0), split at the log's `run.cycle` lines. Per
# tree (this one, and --base DIR's if given, interleaved per rep): compiles and
# compiler ms per cycle, the functions compiled more than once, each deopt with
# its reason and source place, and code thrown away (dependencies, protectors).
# Usage: bench/poll/compiles.sh [--base DIR] [--sockets N] [--reps R] [--keep DIR] [--smoke]
# Needs root. See bench/poll/README.md ("Branch whole15e").
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

SOCKETS=99000 REPS=1 BASE="" KEEP=""
smoke() { SOCKETS=2000 SINK_DURATION=${SINK_DURATION:-7s}; }
bench_args compiles.sh 'sockets=SOCKETS reps=REPS base=BASE keep=KEEP' "$@"
need_root compiles.sh 'network namespaces'
need_cmd compiles.sh stdbuf 'coreutils'
bench_dirs bench/poll dist/src/cli/main.js
if [ -n "$BASE" ]; then
  [ -f "$BASE/dist/src/cli/main.js" ] || { echo "compiles.sh: --base DIR: a built tcplens tree (DIR/dist/src/cli/main.js)" >&2; exit 2; }
  BASE=$(cd "$BASE" && pwd)
fi
cc_fresh "$HERE/sockfarm.c"

PAIRS=$((SOCKETS / 2))
NS=tlcompiles-$$-$RANDOM
TMP=$(mktemp -d /tmp/tlcompiles.XXXXXX)
PIDS=()
cleanup() {
  stop_farms
  node "$ROOT/bench/pipeline/ch.js" stop "$TMP/ch" 2>/dev/null || true
  ip netns delete "$NS" 2>/dev/null || true
  if [ -n "$KEEP" ]; then mkdir -p "$KEEP" && cp -a "$TMP"/*.log "$KEEP"/ 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS"; ip -n "$NS" link set lo up
ip netns exec "$NS" sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
start_farms "$NS" "$PAIRS"
BUILT=$(wait_farms "$TMP")
CH_URL=$(node "$ROOT/bench/pipeline/ch.js" start "$TMP/ch")
echo "sockets: $BUILT in $FARMS farms (netns $NS); private ClickHouse at $CH_URL" >&2

BUILDS="this"; [ -n "$BASE" ] && BUILDS="base this"
for ((r = 1; r <= REPS; r++)); do
  for v in $BUILDS; do
    root=$ROOT; [ "$v" = base ] && root=$BASE
    (cd "$root" && stdbuf -o0 node --trace-opt --trace-deopt --trace-deopt-verbose --trace-protector-invalidation \
      bin/tcplens.js run --netns "$NS" --interval 3s --duration "${SINK_DURATION:-15s}" --clickhouse-url "$CH_URL" \
      --database "c${r}_$v" --spool-dir "$TMP/spool" --listen 127.0.0.1:0 --log-level debug) >"$TMP/$v.$r.log" 2>&1
    echo "== $v (rep $r, load $(cut -d' ' -f1 /proc/loadavg))"
    node "$HERE/compiles_report.js" "$TMP/$v.$r.log"
  done
done
