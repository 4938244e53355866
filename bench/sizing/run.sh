#!/usr/bin/env bash
# bench/sizing: what one host writes into ClickHouse per day, measured. For
# each socket count, in a fresh namespace: established loopback sockets, a
# share of them talking every second (chatter.c; the rest idle, bench/poll's
# sockfarm), plus a steady churn of short connections (tcplens loadgen),
# `tcplens run` with every view at the production interval into a
# private ClickHouse, then each table merged (OPTIMIZE FINAL) and its rows
# and bytes read from system.parts, scaled to a day. Anchors, measured on the
# same sockets in the same run: the kernel's own inet_diag reply (bytes per
# socket, all extensions) and `ss -tinmHO` text per socket.
# Usage: bench/sizing/run.sh [--sockets 1000,10000,100000] [--active PCT] [--duration S] [--interval S] [--churn N]
#        [--changes-only] [--smoke] [--record DIR]
# --record DIR: no ClickHouse and no report; each host's run writes what its
# sink would insert to DIR/host-N.bin (tcplens run --sink file:..., the
# spool's format), for bench/fleet to replay as many hosts.
# Needs root (namespaces) and a built tcplens. See bench/sizing/README.md.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

SIZES=1000,10000,100000 DURATION=120 INTERVAL=10 CHURN=20 ACTIVE=10 CHANGES=false RECORD=
smoke() { SIZES=1000 DURATION=6 INTERVAL=2 CHURN=20; }
bench_args sizing 'sockets=SIZES duration=DURATION interval=INTERVAL churn=CHURN active=ACTIVE changes-only!CHANGES record=RECORD' "$@"
if [ "$CHANGES" = 1 ]; then CHANGES=true; fi
[ "$(id -u)" = 0 ] || { echo "sizing: needs root (network namespaces)" >&2; exit 2; }
for v in "$DURATION" "$INTERVAL" "$CHURN"; do [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -gt 0 ] || { echo "sizing: --duration, --interval, --churn take whole numbers > 0, got '$v'" >&2; exit 2; }; done
[[ "$ACTIVE" =~ ^[0-9]+$ ]] && [ "$ACTIVE" -le 100 ] || { echo "sizing: --active: a percentage 0-100, got '$ACTIVE'" >&2; exit 2; }
IFS=, read -ra sizes <<<"$SIZES"
for N in "${sizes[@]}"; do
  [[ "$N" =~ ^[0-9]+$ ]] && [ "$N" -ge 2 ] || { echo "sizing: --sockets: comma-separated counts >= 2, got '$N'" >&2; exit 2; }
done

bench_dirs sizing dist/src/cli/main.js
for p in dump_floor sockfarm rusage; do cc_fresh "$ROOT/bench/poll/$p.c"; done
cc_fresh "$HERE/chatter.c"

TMP=$(mktemp -d /tmp/tlsizing.XXXXXX)
NS="" PIDS=()
stop_farms() {
  exec 3>&-  # farms exit when their stdin reaches EOF
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
  [ -z "$NS" ] || ip netns delete "$NS" 2>/dev/null || true
  NS=""
}
cleanup() {
  stop_farms
  node "$ROOT/bench/pipeline/ch.js" stop "$TMP/ch" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "$RECORD" ]; then
  mkdir -p "$RECORD" || { echo "sizing: --record: cannot create $RECORD" >&2; exit 2; }
else
  CH_URL=$(node "$ROOT/bench/pipeline/ch.js" start "$TMP/ch")
  echo "private ClickHouse at $CH_URL" >&2
fi

for N in "${sizes[@]}"; do
  NS=tlsize-$$-$N
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  ip netns exec "$NS" sysctl -qw net.ipv4.ip_local_port_range="1024 65000"

  # N established sockets = N/2 connections, ACTIVE% of them talking; at
  # most 9,900 connections a process (RLIMIT_NOFILE); farms listen on ports
  # 65100+, chatters on 65001+, above the ephemeral range
  talk=$((N / 2 * ACTIVE / 100)) pairs=$((N / 2 - N / 2 * ACTIVE / 100))
  farms=$(( (pairs + 9899) / 9900 )) chatters=$(( (talk + 9899) / 9900 ))
  rm -f "$TMP/hold"; mkfifo "$TMP/hold"; exec 3<>"$TMP/hold"
  f=0 left=$pairs
  while [ "$left" -gt 0 ]; do
    n=$(( left < 9900 ? left : 9900 )); left=$((left - n))
    ip netns exec "$NS" "$B/sockfarm" "$n" $((65100 + f * 16)) 16 0 <"$TMP/hold" >"$TMP/farm$f.out" 2>&1 3>&- &
    PIDS+=($!); f=$((f + 1))
  done
  left=$talk
  while [ "$left" -gt 0 ]; do
    n=$(( left < 9900 ? left : 9900 )); left=$((left - n))
    ip netns exec "$NS" "$B/chatter" "$n" $((65001 + f)) <"$TMP/hold" >"$TMP/farm$f.out" 2>&1 3>&- &
    PIDS+=($!); f=$((f + 1))
  done
  for ((f = 0; f < farms + chatters; f++)); do
    for ((t = 0; t < 1200; t++)); do
      grep -q '^ready' "$TMP/farm$f.out" 2>/dev/null && break
      kill -0 "${PIDS[$f]}" 2>/dev/null || { echo "sizing: farm $f died: $(cat "$TMP/farm$f.out")" >&2; exit 1; }
      sleep 0.1
    done
    grep -q '^ready' "$TMP/farm$f.out" || { echo "sizing: farm $f not ready after 120 s" >&2; exit 1; }
  done
  est=$(ip netns exec "$NS" ss -Htn state established | wc -l)

  # the anchors, on the same sockets, before the run
  floor=$(ip netns exec "$NS" "$B/dump_floor")
  ssb=$(ip netns exec "$NS" ss -tinmHO | wc -c)
  echo "$N sockets: $est established ($ACTIVE% talking); anchors $floor, ss $ssb bytes; churn $CHURN conn/s; run ${DURATION}s at ${INTERVAL}s" >&2

  # churn for the whole run (it stops by itself after DURATION seconds of flows)
  node "$ROOT/bin/tcplens.js" loadgen "rate=$CHURN,flows=$((CHURN * DURATION)),duration=exp:50ms,bytes=4k,seed=$N,arrival=even" \
    --netns "$NS" --out "$TMP/truth.ndjson" >"$TMP/loadgen.out" 2>&1 &
  lg=$!
  if [ -n "$RECORD" ]; then
    rm -f "$RECORD/host-$N.bin"
    sink=(--sink "file:$RECORD/host-$N.bin")
  else
    sink=(--clickhouse-url "$CH_URL" --database "sizing_$N" --spool-dir "$TMP/spool")
  fi
  ru=$("$B/rusage" -o /dev/null -e "$TMP/run.err" -- node "$ROOT/bin/tcplens.js" run --netns "$NS" --interval "${INTERVAL}s" \
    --duration "${DURATION}s" --changes-only="$CHANGES" --listen 127.0.0.1:0 "${sink[@]}") \
    || { echo "sizing: tcplens run failed: $(tail -3 "$TMP/run.err")" >&2; exit 1; }
  wait "$lg" || { echo "sizing: loadgen failed: $(tail -3 "$TMP/loadgen.out")" >&2; exit 1; }
  flows=$(wc -l <"$TMP/truth.ndjson")
  stop_farms
  if [ -n "$RECORD" ]; then
    echo "recorded $N sockets: $(stat -c %s "$RECORD/host-$N.bin") bytes in $RECORD/host-$N.bin" >&2
    continue
  fi

  node "$HERE/report.js" measure "$CH_URL" "sizing_$N" "$TMP/run.err" \
    "{\"sockets\":$N,\"active_pct\":$ACTIVE,\"established\":$est,\"floor\":$floor,\"ss_bytes\":$ssb,\"churn\":$CHURN,\"flows\":$flows,\"duration\":$DURATION,\"interval\":$INTERVAL,\"changes_only\":$CHANGES,\"rusage\":$ru}" \
    >>"$TMP/sizes.jsonl"
done

[ -n "$RECORD" ] || node "$HERE/report.js" print "$TMP/sizes.jsonl"
