#!/usr/bin/env bash
# bench/burst: issue 15's burst as a user meets it: N loopback connections at
# the top rate one process reaches (bench/events/churn.c) in one namespace,
# under `tcplens run --interval 1s` (every view, defaults) into a private
# local ClickHouse, beside the same burst with tracing off (the anchor),
# interleaved rep by rep. Prints per rep and as medians: events lost, tcp_events
# rows vs 4 x N + 1, tcp_flows rows vs the 2 x N sockets, destroy rows missing,
# destroy overruns (ENOBUFS) and messages dropped, peak RSS beside the RSS
# before the burst, conn/s and churn CPU per connection beside tracing off.
# Usage: bench/burst/run.sh [--conns N] [--reps R] [--builds NAME=DIR,...] [--smoke]
# --builds: built tcplens trees to run side by side (e.g. main=/work/main,mine=.),
# one burst each per rep, interleaved with the anchor; default this tree.
# Needs root, a built tcplens (npm run build), clickhouse-server. See README.md.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

CONNS=60000 REPS=3 BUILDS=
smoke() { CONNS=2000 REPS=1; }
bench_args run.sh 'conns=CONNS reps=REPS builds=BUILDS' "$@"
need_root run.sh 'network namespaces, eBPF'
need_cmd run.sh clickhouse-server 'bash scripts/bootstrap.sh'

bench_dirs bench/burst dist/src/cli/main.js
cc_fresh "$ROOT/bench/events/churn.c"

CH=$(mktemp -d /tmp/tlburst-ch.XXXXXX)
cleanup() {
  node "$ROOT/bench/pipeline/ch.js" stop "$CH" 2>/dev/null || true
  rm -rf "$CH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
URL=$(node "$ROOT/bench/pipeline/ch.js" start "$CH")
node "$HERE/bench.js" "$B/churn" "$CONNS" "$REPS" "$URL" "$BUILDS"
