#!/usr/bin/env bash
# bench/ehash: the fixed cost of an inet_diag dump, by table and by states.
# Two fresh, empty namespaces side by side: one sharing the host's established
# hash (the anchor: every namespace's table by default), one made with a
# 1,024-bucket table of its own (net.ipv4.tcp_child_ehash_entries, Linux
# 6.1+; set inside a parent namespace, so the host's setting is untouched).
# In each: the CPU of one dump (IPv4 + IPv6, no extensions) that matches
# nothing (the established hash's walk), of every state (the poll before
# --listen-interval), of the established hash's states (the poll with it),
# of listeners (the listen view) and of bound-only sockets (6.5+: the bind
# hash, the host's); medians of --reps runs of --dumps dumps each, as
# ratios to the shared table's and to the every-state dump.
# Usage: bench/ehash/run.sh [--reps N] [--dumps N] [--buckets N] [--smoke]
# Needs root, a built tcplens (npm run build).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

REPS=5 DUMPS=21 BUCKETS=1024
smoke() { REPS=1 DUMPS=3; }
bench_args run.sh 'reps=REPS dumps=DUMPS buckets=BUCKETS' "$@"
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (namespaces)" >&2; exit 2; }
bench_dirs bench/ehash dist/src/native/addon.js

SHARED=tlehs-$$-$RANDOM PARENT=tlehp-$$-$RANDOM OWN=tleho-$$-$RANDOM
cleanup() { for n in "$OWN" "$PARENT" "$SHARED"; do ip netns delete "$n" 2>/dev/null || true; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$SHARED"
ip netns add "$PARENT"
if nsenter --net="/run/netns/$PARENT" sh -c "echo $BUCKETS > /proc/sys/net/ipv4/tcp_child_ehash_entries" 2>/dev/null; then
  nsenter --net="/run/netns/$PARENT" ip netns add "$OWN"
else
  echo "no net.ipv4.tcp_child_ehash_entries on $(uname -r) (Linux 6.1+): the shared table only"
  OWN=""
fi
node "$HERE/measure.js" "$ROOT" "$REPS" "$DUMPS" "/run/netns/$SHARED" ${OWN:+"/run/netns/$OWN"}
