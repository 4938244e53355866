#!/usr/bin/env bash
# bench/poll: CPU per socket of one full poll, side by side from one run:
# the raw inet_diag dump floor, `ss -tinmHO`, `tcplens poll --once`, and the
# steady-state cycle of a long-running `tcplens poll --interval` (sidecar).
# With --sink, also `tcplens run` writing every poll into a private ClickHouse
# (the whole sidecar, sink on), minus the same run on an empty namespace.
# Usage: bench/poll/run.sh [--sockets N] [--reps R] [--farms F] [--v6 PCT] [--sink] [--smoke] [--keep DIR] [--baseline TREE]
#        bench/poll/run.sh --namespaces N [--sockets N] [--reps R] [--smoke]  (namespaces.sh: many namespaces)
# Needs root (network namespaces) and a built tcplens. See bench/poll/README.md.
set -euo pipefail
# --namespaces N: the many-namespaces bench (namespaces.sh) instead
for a in "$@"; do [ "$a" = --namespaces ] && exec bash "$(dirname "$0")/namespaces.sh" "$@"; done
. "$(dirname "$0")/../lib.sh"

SOCKETS=99000 REPS=5 FARMS=0 V6PCT=0 KEEP="" SINK=0 BASELINE=""
smoke() { SOCKETS=2000 REPS=1 FARMS=2 SINK_DURATION=${SINK_DURATION:-4s}; }
bench_args run.sh 'sockets=SOCKETS reps=REPS farms=FARMS v6=V6PCT keep=KEEP sink!SINK baseline=BASELINE' "$@"
# --baseline TREE: the iterator poll's rows again from another built tree (e.g. a worktree of main), interleaved: before/after in one run
[ -z "$BASELINE" ] || [ -f "$BASELINE/bin/tcplens.js" ] || { echo "run.sh: --baseline $BASELINE: no bin/tcplens.js there" >&2; exit 2; }
need_root run.sh 'network namespaces'

bench_dirs bench/poll dist/src/cli/main.js
for p in dump_floor rusage sockfarm; do cc_fresh "$HERE/$p.c"; done
# The iterator poll's own anchors (iter_floor.bpf.c): an iter/tcp walk with a
# program that does nothing, and one that reads one tcp_sock field; pinned in
# bpffs, read with cat in the namespace. Skipped (said why) where they cannot load.
PIN=/sys/fs/bpf/tlbench-$$
WALKS=""
# cc_bpf NAME FLAGS...: iter_floor.bpf.c built with FLAGS into $B/NAME.bpf.o
cc_bpf() { clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -I"$ROOT/bpf/.output" "${@:2}" -c "$HERE/iter_floor.bpf.c" -o "$B/$1.bpf.o"; }
pin_walks() {
  mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || return 1
  [ -s "$ROOT/bpf/.output/vmlinux.h" ] || return 1
  mkdir -p "$PIN" || return 1
  cc_bpf walk && cc_bpf walkread -DREAD_ONE || return 1
  bpftool iter pin "$B/walk.bpf.o" "$PIN/walk" && bpftool iter pin "$B/walkread.bpf.o" "$PIN/walkread" || return 1
  WALKS="walk walkread"
}
pin_walks 2>"$B/pin_walks.err" || echo "iter/tcp walk anchors skipped: $(tail -n1 "$B/pin_walks.err")" >&2
# The socket-storage walks (iter_floor.bpf.c STORAGE_*): `storefill` gives every
# socket of the farm a storage record (an iter/tcp pass, run before them each
# rep), `storewalk`/`storewalkread` walk the storage map. A kernel may refuse
# iterators over map elements: 6.18 here does, with EPERM before verifying
# (iter/bpf_map_elem too), Debian's 6.1 and 6.12 load them.
pin_storage_walks() {
  [ -n "$WALKS" ] || return 1
  cc_bpf storefill -DSTORAGE_FILL && cc_bpf storewalk -DSTORAGE_WALK && cc_bpf storewalkread -DSTORAGE_WALK -DREAD_ONE || return 1
  bpftool iter pin "$B/storefill.bpf.o" "$PIN/storefill" || return 1
  # the storage map: the one sk_storage map of the fill program the link runs
  local prog map
  prog=$(bpftool -j link show pinned "$PIN/storefill" | node -pe 'JSON.parse(require("fs").readFileSync(0)).prog_id') || return 1
  map=$(bpftool -j map show | node -pe 'const ids = new Set(JSON.parse(process.argv[1]).map_ids);
    JSON.parse(require("fs").readFileSync(0)).find((m) => ids.has(m.id) && m.type === "sk_storage").id' \
    "$(bpftool -j prog show id "$prog")") || return 1
  local v
  for v in storewalk storewalkread; do
    bpftool iter pin "$B/$v.bpf.o" "$PIN/$v" map id "$map" || return 1
  done
  WALKS="$WALKS storefill storewalk storewalkread"
}
pin_storage_walks 2>"$B/pin_storage.err" ||
  echo "socket-storage walk anchors skipped: $( (grep -m1 'load failed' "$B/pin_storage.err" || tail -n1 "$B/pin_storage.err") | sed 's/^libbpf: //')" >&2

# One process holds at most RLIMIT_NOFILE's hard limit (20000 here): 9,900 pairs a farm.
PAIRS=$((SOCKETS / 2))
[ "$FARMS" -gt 0 ] || FARMS=$(( (PAIRS + 9899) / 9900 ))
PER=$(( (PAIRS + FARMS - 1) / FARMS ))
LPF=16  # listeners per farm, on ports above the ephemeral range

NS=tlbench-$$-$RANDOM
EMPTY=$NS-empty
TMP=$(mktemp -d /tmp/tlbench.XXXXXX)
PIDS=()
cleanup() {
  exec 3>&-  # farms exit when their stdin reaches EOF
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [ "$SINK" = 1 ] && node "$ROOT/bench/pipeline/ch.js" stop "$TMP/ch" 2>/dev/null
  ip netns delete "$NS" 2>/dev/null || true
  ip netns delete "$EMPTY" 2>/dev/null || true
  rm -rf "$PIN"  # unpins the walks
  rm -f "$TMP/hold"  # a fifo: cp would block on it
  if [ -n "$KEEP" ]; then mkdir -p "$KEEP" && cp "$TMP"/* "$KEEP"/ 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for n in "$NS" "$EMPTY"; do
  ip netns add "$n"
  ip -n "$n" link set lo up
done
# 1024-65000 leaves ports 65001+ for the listeners.
ip netns exec "$NS" sysctl -qw net.ipv4.ip_local_port_range="1024 65000"

# One JSON line per run: which command, which namespace, rep, rusage, first line of stdout.
run() {  # run CMD NSKIND REP
  local cmd=$1 kind=$2 rep=$3 ns=$NS
  [ "$kind" = empty ] && ns=$EMPTY
  local out=$TMP/$cmd.out err=$TMP/$cmd.$kind.err ru
  case "$cmd" in
    floor) ru=$("$B/rusage" -n "$ns" -o "$out" -e "$err" -- "$B/dump_floor") ;;
    walk | walkread | store*) ru=$("$B/rusage" -n "$ns" -o "$out" -e "$err" -- cat "$PIN/$cmd") ;;
    catnull) ru=$("$B/rusage" -n "$ns" -o "$out" -e "$err" -- cat /dev/null) ;;  # the walks' start-up
    ss) ru=$("$B/rusage" -n "$ns" -o /dev/null -e "$err" -- ss -tinmHO); : >"$out" ;;
    tcplens) ru=$(cd "$ROOT" && "$B/rusage" -o "$out" -e "$err" -- \
      node bin/tcplens.js poll --once --format none --netns "$ns") ;;
    # A sidecar: one process, STEADY_CYCLES polls back to back (one summary line
    # each); report.js drops the first (cold) cycle and takes the median of the rest.
    steady) ru=$(cd "$ROOT" && "$B/rusage" -o "$out" -e "$err" -- \
      node bin/tcplens.js poll --netns "$ns" --interval 1ms --count "$STEADY_CYCLES" --format none) ;;
    # The iterator poll's sidecar: every pass full (all sockets emitted, as if
    # all changed), and with --changed (only the sockets that moved: none on the idle farm).
    iter | iterq | iterb | iterqb) ru=$(cd "$([ "${cmd%b}" = "$cmd" ] && echo "$ROOT" || echo "$BASELINE")" && "$B/rusage" -o "$out" -e "$err" -- \
      node bin/tcplens.js poll --netns "$ns" --interval 1ms --count "$STEADY_CYCLES" --format none --poll-via iter \
        $(case "$cmd" in iterq*) echo --changed ;; esac)) ;;
    # The whole sidecar with the ClickHouse sink: a fresh database per run; the
    # cycle count comes from its run.totals log line (stdout: that line).
    sink) ru=$(cd "$ROOT" && "$B/rusage" -o /dev/null -e "$err" -- \
      node bin/tcplens.js run --netns "$ns" --interval "$SINK_INTERVAL" --duration "$SINK_DURATION" \
        --clickhouse-url "$CH_URL" --database "b${rep}_$kind" --spool-dir "$TMP/spool" --listen 127.0.0.1:0 --log-level debug)
      # one line: the totals, plus the process CPU logged at the end of every cycle (steady state: cycle 2 on)
      node -e 'const ls = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return {}; } });
        const t = ls.find((l) => l.key === "run.totals"); const c = ls.filter((l) => l.key === "run.cycle");
        if (t) console.log(JSON.stringify({ cycles: t.cycles, cycle_cpu_us: c.map((l) => l.process_cpu_us) }));' "$err" >"$out" || true
      [ -s "$out" ] || { echo "  sink: no totals line; its stderr ends:" >&2; tail -n3 "$err" >&2; }
      : >"$err" ;;
  esac
  # First line of stdout (steady: all its summary lines, joined by '|'), escaped for JSON.
  local line
  case "$cmd" in steady | iter*) line=$(paste -sd'|' "$out") ;; *) line=$(head -n1 "$out") ;; esac
  line=$(printf '%s' "$line" | sed 's/[\\"]/\\&/g')
  [ -s "$err" ] && [ "$cmd" != ss ] && sed 's/^/  '"$cmd"': /' "$err" | head -n3 >&2
  echo "{\"cmd\":\"$cmd\",\"ns\":\"$kind\",\"rep\":$rep,\"ru\":$ru,\"out\":\"$line\"}" >>"$TMP/runs.jsonl"
}

CMDS="floor ss tcplens"   # start-up anchors: one process, one dump each
FULL_CMDS="$CMDS steady iter iterq $WALKS"  # on the farm: the same, then the sidecars' steady cycles (inet_diag, iter/tcp), then the walks
[ -z "$WALKS" ] || CMDS="$CMDS catnull"  # and cat's start-up, for the walks (a qemu guest starts a process in ~0.1 s); not on the farm
[ -z "$BASELINE" ] || FULL_CMDS="$FULL_CMDS iterb iterqb"
if [ "$SINK" = 1 ]; then
  # Long enough that start-up is a small share; slow enough that the server
  # (one of 2 shared cores, ~66k rows/s of 118 columns) keeps up.
  SINK_INTERVAL=${SINK_INTERVAL:-$(( SOCKETS > 20000 ? 3 : 1 ))s} SINK_DURATION=${SINK_DURATION:-15s}
  CH_URL=$(node "$ROOT/bench/pipeline/ch.js" start "$TMP/ch")
  echo "private ClickHouse at $CH_URL; sink rows: run --interval $SINK_INTERVAL --duration $SINK_DURATION" >&2
  CMDS="$CMDS sink" FULL_CMDS="$FULL_CMDS sink"
fi
STEADY_CYCLES=6           # cycle 1 is cold (JIT, first touch) and dropped
# Start-up anchors first, on the empty namespace while the farms do not exist
# yet: the TCP hash table is global, so once the farms are up even an empty
# namespace's dump walks past their sockets, which is no start-up cost.
cut -d' ' -f1-3 /proc/loadavg >"$TMP/loadavg"
echo "start-up anchors: $REPS reps on the empty netns $EMPTY..." >&2
for c in $CMDS; do run "$c" empty 0; done  # warm-up (page cache, Node's compile cache): not counted
for ((r = 1; r <= REPS; r++)); do
  for c in $CMDS; do run "$c" empty "$r"; done
done

mkfifo "$TMP/hold"
exec 3<>"$TMP/hold"
left=$PAIRS
for ((f = 0; f < FARMS; f++)); do
  n=$(( left < PER ? left : PER )); left=$((left - n))
  v6=$(( n * V6PCT / 100 ))
  ip netns exec "$NS" "$B/sockfarm" "$n" $((65100 + f * LPF)) "$LPF" "$v6" \
    <"$TMP/hold" >"$TMP/farm$f.out" 2>&1 3>&- &
  PIDS+=($!)
done
echo "building $PAIRS loopback connections in $FARMS farms (netns $NS)..." >&2
BUILT=$(wait_farms "$TMP")
EST=$(ip netns exec "$NS" ss -Htn state established 2>/dev/null | wc -l)
echo "sockets: built $BUILT ($EST established per ss), $FARMS farms x <= $PER pairs, ${V6PCT}% IPv6" >&2

for c in $FULL_CMDS; do run "$c" full 0; done  # warm-up, not counted
for ((r = 1; r <= REPS; r++)); do
  echo "rep $r/$REPS" >&2
  for c in $FULL_CMDS; do run "$c" full "$r"; done  # interleaved: A B C D A B C D ...
done

cut -d' ' -f1-3 /proc/loadavg >>"$TMP/loadavg"
# run-time statistics (another process may hold them on) put two clock reads
# around every eBPF program run: the iter rows and the walks pay them, the floor does not
[ "$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null)" != 1 ] ||
  echo "note: kernel.bpf_stats_enabled was 1 at the end of the run (iter rows and walks pay two clock reads per socket)" >&2
node "$HERE/report.js" "$TMP/runs.jsonl" "$BUILT" "$EST" "$FARMS" "$V6PCT" "$TMP/loadavg"
