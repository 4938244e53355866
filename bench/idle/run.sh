#!/usr/bin/env bash
# bench/idle: what `tcplens run` with default settings costs on this host as
# it is (a handful of sockets), as CPU share of one core and wakeups, for
# each build given, side by side over the same minutes (the anchor: a build
# of the previous commit, e.g. `git worktree add /tmp/base main && (cd
# /tmp/base && npm ci && npm run build)`), into a private ClickHouse.
# --own-netns: every run watches only a fresh namespace holding a few idle
# loopback connections (on a host shared with other jobs, theirs are not ours).
# --reps N: N rounds side by side (fresh processes each), medians printed.
# Usage: bench/idle/run.sh [--seconds S] [--reps N] [--smoke] [--anchor ROOT] [--own-netns]
# Needs root, a built tcplens (npm run build), clickhouse-server.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

SECONDS_=600 ANCHOR="" OWN="" REPS=1
smoke() { SECONDS_=10; }
bench_args run.sh 'seconds=SECONDS_ reps=REPS anchor=ANCHOR own-netns!OWN' "$@"
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (eBPF, namespaces)" >&2; exit 2; }
bench_dirs bench/idle dist/src/cli/main.js

CH=$(mktemp -d /tmp/tlidle-ch.XXXXXX) NS="" HOLD=""
cleanup() {
  [ -z "$HOLD" ] || kill "$HOLD" 2>/dev/null || true
  [ -z "$NS" ] || ip netns delete "$NS" 2>/dev/null || true
  node "$ROOT/bench/pipeline/ch.js" stop "$CH" 2>/dev/null || true
  rm -rf "$CH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
URL=$(node "$ROOT/bench/pipeline/ch.js" start "$CH")
if [ -n "$OWN" ]; then
  NS=tlidle-$$-$RANDOM
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  # a handful of sockets: 5 idle loopback connections held open (11 sockets with the listener)
  ip netns exec "$NS" python3 -c 'import socket,time
l=socket.socket(); l.bind(("127.0.0.1",0)); l.listen(8); h=[]
for i in range(5):
    c=socket.create_connection(l.getsockname()); h+=[c,l.accept()[0]]
time.sleep(1e6)' &
  HOLD=$!
  export TCPLENS_IDLE_NETNS=$NS
fi
TCPLENS_IDLE_REPS=$REPS node "$HERE/measure.js" "$SECONDS_" "$URL" "$ROOT" ${ANCHOR:+"$ANCHOR"}
