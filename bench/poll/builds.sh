#!/usr/bin/env bash
# bench/poll/builds.sh: the whole sidecar (`tcplens run`, every view, ClickHouse
# sink, 15 s at a 3 s interval, as run.sh --sink) of two builds side by side:
# this tree and another one (--base DIR, e.g. main built in /tmp), interleaved
# reps on the same farm of sockets and on an empty namespace, each rep with
# the raw inet_diag dump floor; paired per rep (each build minus its own empty
# run of that rep). Prints the whole run and its first two cycles per build.
# --iter adds a row: this tree with `--poll-via iter`; --this-node 'FLAGS': node
# flags for this tree's runs (e.g. V8 flags), the base runs with none;
# --this-args 'ARGS': `tcplens run` options for this tree's runs (e.g.
# '--poll-via iter --changes-only'), the base runs with the defaults.
# Usage: bench/poll/builds.sh --base DIR [--sockets N] [--reps R] [--iter] [--this-node FLAGS] [--this-args ARGS] [--keep DIR] [--smoke]
# Needs root and both trees built. See bench/poll/README.md ("Two builds").
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

SOCKETS=99000 REPS=5 BASE="" KEEP="" ITER="" THIS_NODE="" THIS_ARGS=""
smoke() { SOCKETS=2000 REPS=1 SINK_DURATION=${SINK_DURATION:-7s}; }
bench_args builds.sh 'sockets=SOCKETS reps=REPS base=BASE keep=KEEP iter!ITER this-node=THIS_NODE this-args=THIS_ARGS' "$@"
need_root builds.sh 'network namespaces'
bench_dirs bench/poll dist/src/cli/main.js
case " $THIS_ARGS " in *" --poll-via "* | *" --poll-via="*) [ -z "$ITER" ] || { echo "builds.sh: --iter adds --poll-via iter to --this-args, which already sets --poll-via" >&2; exit 2; } ;; esac
[ -n "$BASE" ] && [ -f "$BASE/dist/src/cli/main.js" ] || { echo "builds.sh: --base DIR: a built tcplens tree (DIR/dist/src/cli/main.js)" >&2; exit 2; }
BASE=$(cd "$BASE" && pwd)
for p in dump_floor rusage sockfarm; do cc_fresh "$HERE/$p.c"; done

PAIRS=$((SOCKETS / 2))
NS=tlbuilds-$$-$RANDOM EMPTY=$NS-empty
TMP=$(mktemp -d /tmp/tlbuilds.XXXXXX)
PIDS=()
cleanup() {
  stop_farms
  node "$ROOT/bench/pipeline/ch.js" stop "$TMP/ch" 2>/dev/null || true
  ip netns delete "$NS" 2>/dev/null || true
  ip netns delete "$EMPTY" 2>/dev/null || true
  if [ -n "$KEEP" ]; then mkdir -p "$KEEP" && cp -a "$TMP"/. "$KEEP"/; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for n in "$NS" "$EMPTY"; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip netns exec "$NS" sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
start_farms "$NS" "$PAIRS"
BUILT=$(wait_farms "$TMP")
CH_URL=$(node "$ROOT/bench/pipeline/ch.js" start "$TMP/ch")
echo "sockets: $BUILT in $FARMS farms (netns $NS); private ClickHouse at $CH_URL; this tree $ROOT, base $BASE" >&2

# one run: BUILD(base|this|iter) KIND(full|empty) REP; a JSON line with its rusage and the CPU at each cycle's end
sink() {
  local v=$1 kind=$2 rep=$3 root=$ROOT ns=$NS err ru node=() args=()
  [ "$v" = base ] && root=$BASE
  [ "$v" != base ] && [ -n "$THIS_NODE" ] && read -ra node <<<"$THIS_NODE"
  [ "$v" != base ] && [ -n "$THIS_ARGS" ] && read -ra args <<<"$THIS_ARGS"
  [ "$v" = iter ] && args+=(--poll-via iter)
  [ "$kind" = empty ] && ns=$EMPTY
  err=$TMP/$v.$kind.$rep.err
  ru=$(cd "$root" && "$B/rusage" -o /dev/null -e "$err" -- node "${node[@]}" bin/tcplens.js run --netns "$ns" --interval 3s --duration "${SINK_DURATION:-15s}" \
    --clickhouse-url "$CH_URL" --database "b${rep}_${v}_$kind" --spool-dir "$TMP/spool" --listen 127.0.0.1:0 --log-level debug "${args[@]}")
  node -e 'const ls = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return {}; } });
    const t = ls.find((l) => l.key === "run.totals"), snap = t && t.tables && t.tables.tcp_snapshots;
    console.log(JSON.stringify({ v: process.argv[2], kind: process.argv[3], rep: +process.argv[4], la: +process.argv[5], ru: JSON.parse(process.argv[6]),
      args: process.argv[7], snapshots: snap ? snap.queued : null,
      cycles: t ? t.cycles : 0, cpu: ls.filter((l) => l.key === "run.cycle").map((l) => l.process_cpu_us) }));' \
    "$err" "$v" "$kind" "$rep" "$(cut -d' ' -f1 /proc/loadavg)" "$ru" "${args[*]}" >>"$TMP/runs.jsonl"
}
BUILDS="base this"; [ -n "$ITER" ] && BUILDS="base this iter"
for v in $BUILDS; do sink "$v" empty 0; done  # warm-up (page cache, compile cache): not counted
for ((r = 1; r <= REPS; r++)); do
  echo "rep $r/$REPS" >&2
  ru=$("$B/rusage" -n "$NS" -o "$TMP/floor.out" -e /dev/null -- "$B/dump_floor")
  echo "{\"v\":\"floor\",\"rep\":$r,\"la\":$(cut -d' ' -f1 /proc/loadavg),\"ru\":$ru,\"out\":$(head -n1 "$TMP/floor.out")}" >>"$TMP/runs.jsonl"
  order=$BUILDS; [ $((r % 2)) = 0 ] && order=$(echo "$BUILDS" | tr ' ' '\n' | tac | tr '\n' ' ')  # interleaved, alternating
  for k in full empty; do for v in $order; do sink "$v" "$k" "$r"; done; done
done
node "$HERE/builds_report.js" "$TMP/runs.jsonl"
