#!/usr/bin/env bash
# bench/samples: CPU per sampler iteration and the memory the sampler adds,
# tcplens's eBPF task iterator beside a /proc sampler (the way ps, psn and
# xcapture v1 sample threads) over the same threads, in the same run.
# Usage: bench/samples/run.sh [--threads N] [--recv R] [--reps K] [--iters I] [--smoke]
# Needs root (eBPF) and a built tcplens. See bench/samples/README.md.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

THREADS=2000 RECV="" REPS=5 ITERS=20
smoke() { THREADS=200 REPS=1 ITERS=4; }
bench_args run.sh 'threads=THREADS recv=RECV reps=REPS iters=ITERS' "$@"
[ -n "$RECV" ] || RECV=$((THREADS / 2))
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (eBPF)" >&2; exit 2; }

bench_dirs bench/samples dist/src/sources/samples.js
cc_fresh "$HERE/threadfarm.c" -pthread
cc_fresh "$HERE/proc_sampler.c"

TMP=$(mktemp -d /tmp/tlsbench.XXXXXX)
FARM=""
cleanup() {
  exec 3>&- 2>/dev/null || true  # the farm exits when its stdin reaches EOF
  [ -z "$FARM" ] || { kill "$FARM" 2>/dev/null || true; wait "$FARM" 2>/dev/null || true; }
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkfifo "$TMP/hold"
"$B/threadfarm" "$THREADS" "$RECV" <"$TMP/hold" >"$TMP/farm.out" &
FARM=$!
exec 3>"$TMP/hold"
for _ in $(seq 100); do grep -q '^ready' "$TMP/farm.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^ready' "$TMP/farm.out" || { echo "run.sh: thread farm did not start" >&2; exit 1; }

# Interleaved per rep, so noise from the 4 other tenants hits every column alike.
RUNS=$TMP/runs.jsonl
for rep in $(seq "$REPS"); do
  for mode in floor active all; do
    (cd "$ROOT" && node bench/samples/measure.js "$mode" "$ITERS") | sed "s/^{/{\"tool\":\"tcplens\",\"rep\":$rep,/" >>"$RUNS"
  done
  "$B/proc_sampler" "$ITERS" | sed "s/^{/{\"tool\":\"proc\",\"mode\":\"active\",\"rep\":$rep,/" >>"$RUNS"
  "$B/proc_sampler" -a "$ITERS" | sed "s/^{/{\"tool\":\"proc\",\"mode\":\"all\",\"rep\":$rep,/" >>"$RUNS"
done
node "$HERE/report.js" "$RUNS" "$THREADS" "$RECV" "$REPS" "$ITERS"
