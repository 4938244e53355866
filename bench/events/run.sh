#!/usr/bin/env bash
# bench/events: loopback connection churn at the machine's top rate with
# tracing off, with tcplens's events view, and with a bpftrace in-kernel
# counter on the same tracepoint, interleaved reps, medians, ratios vs off.
# Usage: bench/events/run.sh [--conns N] [--reps R] [--anchor ROOT] [--smoke]
# --anchor ROOT: another build of tcplens (e.g. main's) as a fifth mode, sidecar kinds.
# Needs root, a built tcplens (npm run build) and bpftrace. See README.md.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

CONNS=60000 REPS=5 ANCHOR=""
smoke() { CONNS=3000 REPS=1; }
bench_args run.sh 'conns=CONNS reps=REPS anchor=ANCHOR' "$@"
[ -z "$ANCHOR" ] || [ -f "$ANCHOR/dist/src/sources/events.js" ] || { echo "run.sh: --anchor $ANCHOR: not a built tcplens (no dist/src/sources/events.js)" >&2; exit 2; }
need_root run.sh 'network namespaces, eBPF'
need_cmd run.sh bpftrace 'apt-get install bpftrace'

bench_dirs bench/events dist/src/sources/events.js
node -e "const a=require('$ROOT/dist/src/sources/events.js').eventsAvailability(); if(!a.ok){console.error('run.sh: events view unavailable: '+a.reason); process.exit(2)}"
cc_fresh "$HERE/churn.c"
# the empty-program floor (empty_probe.bpf.c): skipped, saying why, where it cannot build
EMPTY_PROBE=""
if [ -s "$ROOT/bpf/.output/vmlinux.h" ] \
  && { [ "$B/empty_probe.bpf.o" -nt "$HERE/empty_probe.bpf.c" ] \
    || clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -I"$ROOT/bpf/.output" -c "$HERE/empty_probe.bpf.c" -o "$B/empty_probe.bpf.o" 2>"$B/empty_probe.err"; } \
  && { [ "$B/empty_probe" -nt "$HERE/empty_probe.c" ] \
    || cc -O2 -Wall -Wextra -o "$B/empty_probe" "$HERE/empty_probe.c" -l:libbpf.a -lelf -lz 2>>"$B/empty_probe.err"; }; then
  EMPTY_PROBE="$B/empty_probe $B/empty_probe.bpf.o"
else
  echo "empty-program anchor skipped: $(tail -n1 "$B/empty_probe.err" 2>/dev/null || echo 'no bpf/.output/vmlinux.h: npm run build')" >&2
fi

NS=tlevbench-$$-$RANDOM
MOUNTED=""
STATS=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo 0)
cleanup() {
  ip netns delete "$NS" 2>/dev/null || true
  sysctl -qw kernel.bpf_stats_enabled="$STATS" 2>/dev/null || true
  [ -z "$MOUNTED" ] || umount /sys/kernel/tracing 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# bpftrace attaches classic tracepoints, which need tracefs (not mounted at
# boot here); we unmount it again only if we mounted it.
if ! grep -q ' /sys/kernel/tracing tracefs ' /proc/mounts; then
  mount -t tracefs nodev /sys/kernel/tracing
  MOUNTED=1
fi
# per-program run time, for the probe cost column (bench.js switches it off
# for the conn/s and CPU reps and on for its probe reps); restored on exit
sysctl -qw kernel.bpf_stats_enabled=1
ip netns add "$NS"
ip -n "$NS" link set lo up
EMPTY_PROBE="$EMPTY_PROBE" node "$HERE/bench.js" "$NS" "$B/churn" "$CONNS" "$REPS" ${ANCHOR:+"$ANCHOR"}
