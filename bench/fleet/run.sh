#!/usr/bin/env bash
# bench/fleet: N simulated hosts into a 2-shard, 2-replica ClickHouse cluster
# on this machine (clickhouse-server 18.16 and ZooKeeper from Debian, private
# ports), through the sidecar's own sink and the Distributed tables. Each host
# replays a recorded `tcplens run` (1k and 10k sockets, made once by
# bench/sizing/run.sh --record into bench/fleet/cache/) with its own host name
# and phase. Per N and insert strategy (naive: flush every 1 s; tuned: every
# --flush-interval s plus up to half of it as jitter; buffer: tuned, into the
# Buffer tables of --insert-buffer; X+buffer: X into them) it prints inserts/s,
# rows/s, parts per partition over time, merges, rejected inserts, latency,
# spool, server CPU and memory beside one bulk INSERT of the same rows, and
# checks that every row is stored once.
# Usage: bench/fleet/run.sh [--hosts 10,100] [--sockets 1000,10000] [--duration S]
#        [--strategies naive,tuned,buffer] [--flush-interval S] [--cache DIR] [--smoke]
# Needs root (the recording's namespaces). See bench/fleet/README.md.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
HOSTS=10,100 SOCKETS=1000,10000 DURATION=60 STRATEGIES=naive,tuned FLUSH=10 CACHE="" RECORD_S=30
smoke() {
  HOSTS=20 SOCKETS=1000 DURATION=6 FLUSH=2 RECORD_S=6 STRATEGIES=naive,tuned,buffer
  CACHE=${CACHE:-$(dirname "$0")/cache/smoke}
}
bench_args fleet 'hosts=HOSTS sockets=SOCKETS duration=DURATION strategies=STRATEGIES flush-interval=FLUSH cache=CACHE' "$@"
bench_dirs fleet dist/bench/fleet/fleet.js
CACHE=${CACHE:-$HERE/cache}
[ "$(id -u)" = 0 ] || { echo "fleet: needs root (the recording runs tcplens in network namespaces)" >&2; exit 2; }
[[ "$HOSTS" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "fleet: --hosts: comma-separated counts > 0, got '$HOSTS'" >&2; exit 2; }
[[ "$SOCKETS" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "fleet: --sockets: comma-separated counts > 0, got '$SOCKETS'" >&2; exit 2; }
for v in "$DURATION" "$FLUSH"; do [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "fleet: --duration, --flush-interval: whole seconds > 0, got '$v'" >&2; exit 2; }; done
for n in ${SOCKETS//,/ }; do
  if [ ! -s "$CACHE/host-$n.bin" ]; then
    echo "fleet: recording a $n-socket host for ${RECORD_S}s into $CACHE (once)" >&2
    bash "$ROOT/bench/sizing/run.sh" --sockets "$n" --duration "$RECORD_S" --interval 10 --record "$CACHE" >&2
  fi
done
exec node "$ROOT/dist/bench/fleet/fleet.js" --cache "$CACHE" --hosts "$HOSTS" --sockets "$SOCKETS" --duration "$DURATION" \
  --strategies "$STRATEGIES" --flush-interval "$FLUSH"
