#!/usr/bin/env bash
# bench/pipeline: the sink's encoder beside its anchors (encode.ts), then the
# whole sidecar with the sink on at 10k and 100k sockets (bench/poll/run.sh
# --sink: `tcplens run` into a private ClickHouse beside the raw dump floor).
# Usage: bench/pipeline/run.sh [--reps R] [--sizes 10000,100000]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
REPS=3 SIZES=10000,100000
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS=$2; shift 2 ;;
    --sizes) SIZES=$2; shift 2 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
node "$ROOT/dist/bench/pipeline/encode.js" --reps "$REPS"
for n in ${SIZES//,/ }; do
  echo
  echo "== whole sidecar with the sink, $n sockets"
  bash "$ROOT/bench/poll/run.sh" --sockets "$n" --reps "$REPS" --sink | grep -E '^(tcplens poll benchmark|command|---|floor|ss -|tcplens sidecar|tcplens run|row 7|goal sidecar|PROBLEM)'
done
