#!/usr/bin/env bash
# bench/poll_lookup: where the poll's exact-match requests stop paying.
# One fresh namespace per size (--sizes, sockets: established loopback pairs,
# both ends; each shares the host's established hash, as a pod's does), and in
# each, interleaved: the CPU of one dump of the established states (what run's
# poll asks for) and of one round of exact-match requests for the same sockets
# (src/sources/poll_lookup.ts, the path run takes), both every extension, both
# read to the end. Prints ms per dump and per round, their ratio, the lookups'
# CPU per socket and the size where the two cost the same (LOOKUP_MAX_SOCKETS
# is set from it). Medians of --reps runs of --rounds each.
# Usage: bench/poll_lookup/run.sh [--sizes "8 64 256 1024"] [--reps N] [--rounds N] [--smoke]
# Needs root, a built tcplens (npm run build).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

SIZES="8 64 256 1024" REPS=5 ROUNDS=21
smoke() { SIZES="8" REPS=1 ROUNDS=3; }
bench_args run.sh 'sizes=SIZES reps=REPS rounds=ROUNDS' "$@"
need_root run.sh 'namespaces'
bench_dirs bench/poll_lookup dist/src/sources/poll_lookup.js

NAMES=() PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for n in "${NAMES[@]}"; do ip netns delete "$n" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ARGS=()
for n in $SIZES; do
  ns=tlplk-$$-$n
  ip netns add "$ns"
  NAMES+=("$ns")
  ip netns exec "$ns" ip link set lo up
  # n sockets: n/2 loopback pairs held open (and their listener, not polled by run's poll)
  ip netns exec "$ns" python3 -c 'import socket,sys,time,resource
s,h0=resource.getrlimit(resource.RLIMIT_NOFILE); resource.setrlimit(resource.RLIMIT_NOFILE,(h0,h0))
l=socket.socket(); l.bind(("127.0.0.1",0)); l.listen(4096); h=[]
for _ in range(int(sys.argv[1])//2):
    c=socket.create_connection(l.getsockname()); h+=[c,l.accept()[0]]
print("ready",flush=True); time.sleep(86400)' "$n" > "$B/farm-$n.out" &
  PIDS+=($!)
  ARGS+=("$n=/run/netns/$ns")
done
for n in $SIZES; do
  for _ in $(seq 600); do grep -q ready "$B/farm-$n.out" 2>/dev/null && break; sleep 0.1; done
  grep -q ready "$B/farm-$n.out" || { echo "run.sh: the $n-socket namespace was not ready" >&2; exit 1; }
done
node "$HERE/measure.js" "$ROOT" "$REPS" "$ROUNDS" "${ARGS[@]}"
