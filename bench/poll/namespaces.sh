#!/usr/bin/env bash
# bench/poll --namespaces N: what one poll cycle of every namespace costs when
# the host's sockets are spread over N namespaces, beside the anchor: one raw
# inet_diag dump (and tcplens's inet_diag poll) of as many sockets in a single
# namespace, measured first in the same run. Then, on the N namespaces, the
# steady cycle of: the per-namespace inet_diag poll (today's default), the
# per-namespace iter/tcp poll (--poll-via iter), and the host pass
# (--poll-via host) without its sweep, with its default sweep every 10 cycles
# (amortised) and with a sweep every cycle; plus one inet_diag dump of an
# empty namespace (the per-namespace walk past every socket of the host).
# Usage: bench/poll/run.sh --namespaces N [--sockets S] [--reps R] [--smoke] [--keep DIR]
# Needs root and a built tcplens. See bench/poll/README.md.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

SOCKETS=100000 NSN=100 REPS=3 KEEP=""
smoke() { SOCKETS=2000 NSN=4 REPS=1; }
bench_args namespaces.sh 'sockets=SOCKETS namespaces=NSN reps=REPS keep=KEEP' "$@"
need_root namespaces.sh 'network namespaces'
[ "$NSN" -ge 1 ] || { echo "namespaces.sh: --namespaces: at least 1" >&2; exit 2; }

bench_dirs bench/poll dist/src/cli/main.js
for p in dump_floor rusage sockfarm; do cc_fresh "$HERE/$p.c"; done

PAIRS=$((SOCKETS / 2))
LPF=16
P=tlns-$$-$RANDOM
TMP=$(mktemp -d /tmp/tlbench.XXXXXX)
PIDS=() NSS=()
stop_farms() {
  exec 3>&- # farms exit when their stdin reaches EOF
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
  rm -f "$TMP/hold"
}
cleanup() {
  stop_farms
  for n in "${NSS[@]}"; do ip netns delete "$n" 2>/dev/null || true; done
  if [ -n "$KEEP" ]; then mkdir -p "$KEEP" && cp "$TMP"/* "$KEEP"/ 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkns() {
  ip netns add "$1"
  ip -n "$1" link set lo up
  ip netns exec "$1" sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
  NSS+=("$1")
}

# farms NS PAIRS: farms of <= 9,900 pairs (RLIMIT_NOFILE's hard limit is 20000) in NS
farms() {
  local ns=$1 left=$2 n f=0
  while [ "$left" -gt 0 ]; do
    n=$((left < 9900 ? left : 9900)) left=$((left - n))
    ip netns exec "$ns" "$B/sockfarm" "$n" $((65100 + f * LPF)) "$LPF" 0 <"$TMP/hold" >"$TMP/farm${#PIDS[@]}.out" 2>&1 3>&- &
    PIDS+=($!) f=$((f + 1))
  done
}

start_farms() {
  mkfifo "$TMP/hold"
  exec 3<>"$TMP/hold"
}

# run KIND REP [-n NETNS] CMD...: one JSON line (rusage and every line of stdout)
run() {
  local kind=$1 rep=$2 ru out nsarg=()
  shift 2
  [ "$1" = -n ] && { nsarg=(-n "$2"); shift 2; }
  out=$TMP/$kind.out
  ru=$(cd "$ROOT" && "$B/rusage" "${nsarg[@]}" -o "$out" -e "$TMP/$kind.err" -- "$@")
  [ -s "$TMP/$kind.err" ] && grep -v 'preflight warn' "$TMP/$kind.err" | sed 's/^/  '"$kind"': /' | head -n3 >&2 || true
  node -e 'const [k, rep, ru, f] = process.argv.slice(1); const out = require("fs").readFileSync(f, "utf8").split("\n").filter(Boolean);
    console.log(JSON.stringify({ kind: k, rep: Number(rep), ru: JSON.parse(ru), out }));' "$kind" "$rep" "$ru" "$out" >>"$TMP/runs.jsonl"
}
tl() { echo node bin/tcplens.js poll --format none "$@"; }

cut -d' ' -f1-3 /proc/loadavg >"$TMP/loadavg"
# --- the anchor: every socket in one namespace
ONE=$P-one
mkns "$ONE"
start_farms
farms "$ONE" "$PAIRS"
echo "anchor: building $PAIRS connections in one namespace..." >&2
BUILT1=$(wait_farms "$TMP")
echo "anchor: $BUILT1 sockets in $ONE" >&2
STEADY=4 # cycle 1 is cold (JIT, first touch) and dropped
for ((r = 0; r <= REPS; r++)); do  # rep 0: warm-up, not counted
  run floor_one "$r" -n "$ONE" "$B/dump_floor"
  run diag_one "$r" $(tl --netns "$ONE" --interval 1ms --count "$STEADY")
done
stop_farms
ip netns delete "$ONE"

# --- the same sockets over N namespaces, and one empty namespace
LIST=""
for ((i = 0; i < NSN; i++)); do
  mkns "$P-$i"
  LIST+="${LIST:+,}$P-$i"
done
mkns "$P-empty"
start_farms
PER=$((PAIRS / NSN)) EXTRA=$((PAIRS % NSN))
for ((i = 0; i < NSN; i++)); do farms "$P-$i" $((PER + (i < EXTRA ? 1 : 0))); done
echo "building $PAIRS connections over $NSN namespaces (${#PIDS[@]} farms)..." >&2
BUILTN=$(wait_farms "$TMP")
echo "$BUILTN sockets over $NSN namespaces" >&2
for ((r = 0; r <= REPS; r++)); do
  [ "$r" = 0 ] || echo "rep $r/$REPS" >&2
  run floor_empty "$r" -n "$P-empty" "$B/dump_floor"
  run diag_n "$r" $(tl --netns "$LIST" --interval 1ms --count "$STEADY")
  run iter_n "$r" $(tl --netns "$LIST" --interval 1ms --count "$STEADY" --poll-via iter)
  run host_n "$r" $(tl --netns "$LIST" --interval 1ms --count "$STEADY" --poll-via host --host-sweep 0)
  # cycles 2-11 hold exactly one sweep (cycles 1, 11, 21, ... sweep)
  run host_n_sweep10 "$r" $(tl --netns "$LIST" --interval 1ms --count 11 --poll-via host --host-sweep 10)
  run host_n_sweep1 "$r" $(tl --netns "$LIST" --interval 1ms --count "$STEADY" --poll-via host --host-sweep 1)
done
cut -d' ' -f1-3 /proc/loadavg >>"$TMP/loadavg"
node "$HERE/namespaces_report.js" "$TMP/runs.jsonl" "$BUILT1" "$BUILTN" "$NSN" "$TMP/loadavg"
