#!/usr/bin/env bash
# bench/pipeline: the sink's encoder beside its anchors (encode.ts), then the
# whole sidecar with the sink on at 10k and 100k sockets (bench/poll/run.sh
# --sink: `tcplens run` into a private ClickHouse beside the raw dump floor).
# Usage: bench/pipeline/run.sh [--reps R] [--sizes 10000,100000]
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
REPS=3 SIZES=10000,100000
bench_args run.sh 'reps=REPS sizes=SIZES' "$@"
node "$ROOT/dist/bench/pipeline/encode.js" --reps "$REPS"
for n in ${SIZES//,/ }; do
  echo
  echo "== whole sidecar with the sink, $n sockets"
  bash "$ROOT/bench/poll/run.sh" --sockets "$n" --reps "$REPS" --sink | grep -E '^(tcplens poll benchmark|command|---|floor|ss -|tcplens sidecar|tcplens run|row 7|goal sidecar|PROBLEM)'
done
