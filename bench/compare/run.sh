#!/usr/bin/env bash
# bench/compare: the cost columns of `tcplens compare` beside their anchors
# measured in the same run on the same namespace: `ss -tinmHO` per poll, and
# a bpftrace in-kernel counter on sock:inet_sock_set_state per event; as
# ratios, medians of several reps.
# Usage: bench/compare/run.sh [--reps R] [--spec SPEC] [--intervals LIST] [--ss-interval MS] [--smoke]
# Needs root, a built tcplens (npm run build) and bpftrace. See README.md.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_root run.sh 'network namespaces, eBPF'
need_cmd run.sh bpftrace 'apt-get install bpftrace'
need_cmd run.sh bpftool 'apt-get install bpftool'
bench_dirs bench/compare dist/src/compare/run.js
# Classic tracepoints (bpftrace's sock:inet_sock_set_state) need tracefs.
if ! grep -q ' /sys/kernel/tracing tracefs ' /proc/mounts; then
  mount -t tracefs nodev /sys/kernel/tracing || { echo "run.sh: cannot mount tracefs on /sys/kernel/tracing" >&2; exit 2; }
fi
# the rusage wrapper of bench/poll: wait4() gives exactly the child's CPU
cc_fresh "$ROOT/bench/poll/rusage.c"
exec node "$HERE/bench.js" --rusage "$B/rusage" "$@"
