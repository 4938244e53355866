#!/usr/bin/env bash
# bench/churn: 1,000 network namespaces made and removed (two every half
# interval, each living up to eight intervals) while `tcplens run --netns all`
# polls with the destroy and events views on, isolated in its own PID and
# mount namespaces: test/run/churn.test.ts at full size. Prints the run's
# figures beside their anchors from the same run: file descriptors and
# threads after the churn beside before it, the cycle in which each
# namespace was first polled beside its birth, cycle length beside the interval.
# Usage: bench/churn/run.sh [--namespaces N] [--interval-ms MS]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=1000 INTERVAL=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --namespaces) N=$2; shift 2 ;;
    --interval-ms) INTERVAL=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "churn: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "churn: needs root (network, PID and mount namespaces)" >&2; exit 2; }
[ -f dist/test/run/churn.test.js ] || npm run --silent build
TCPLENS_CHURN_NS="$N" TCPLENS_CHURN_INTERVAL_MS="$INTERVAL" \
  npx --no-install mocha --no-config --exit --timeout 0 dist/test/run/churn.test.js
