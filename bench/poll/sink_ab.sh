#!/usr/bin/env bash
# bench/poll/sink_ab.sh: peak RSS and CPU of the whole sidecar (`tcplens run`,
# every view, ClickHouse sink) on ~100k loopback sockets, for several builds or
# node flags side by side, interleaved reps, medians; each variant beside the
# first one (the anchor) as a ratio, and beside its own run on an empty namespace.
# Builds bench/poll/run.sh's socket farms; needs root.
#   bash bench/poll/sink_ab.sh [--sockets N] [--reps R] [--duration 15s] [--interval 3s] [--smoke] \
#     --variant 'LABEL=DIR' --variant 'LABEL=DIR|NODE_FLAGS' ...
#     --variant 'LABEL=DIR|NODE_FLAGS|ENV' --variant 'LABEL=DIR|NODE_FLAGS|ENV|RUN_ARGS'
# DIR: a built tcplens checkout (its bin/tcplens.js); NODE_FLAGS: put before it
# on node's command line (e.g. --max-semi-space-size=2); ENV: VAR=VALUE pairs;
# RUN_ARGS: more `tcplens run` options (e.g. --ring-bytes 1MiB).
# TRACE_DIR=DIR keeps each run's log and its RSS every 100 ms (ms kB) there.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
SOCKETS=99000 REPS=3 DURATION=15s INTERVAL=3s VARIANTS=()
smoke() { SOCKETS=2000 REPS=1 DURATION=5s; }
REST=()
while [ $# -gt 0 ]; do
  case "$1" in
    --variant) VARIANTS+=("$2"); shift 2 ;;
    *) REST+=("$1"); shift ;;
  esac
done
bench_args sink_ab.sh 'sockets=SOCKETS reps=REPS duration=DURATION interval=INTERVAL' ${REST[@]+"${REST[@]}"}
need_root sink_ab.sh 'network namespaces'
bench_dirs bench/poll dist/src/cli/main.js
[ ${#VARIANTS[@]} -gt 0 ] || VARIANTS=("this=$ROOT")
for p in rusage sockfarm; do cc_fresh "$HERE/$p.c"; done

PAIRS=$((SOCKETS / 2)) FARMS=$(( (SOCKETS / 2 + 9899) / 9900 ))
PER=$(( (PAIRS + FARMS - 1) / FARMS ))
NS=tlab-$$-$RANDOM EMPTY=$NS-empty TMP=$(mktemp -d /tmp/tlab.XXXXXX) PIDS=()
cleanup() {
  exec 3>&- || true
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  node "$ROOT/bench/pipeline/ch.js" stop "$TMP/ch" 2>/dev/null || true
  ip netns delete "$NS" 2>/dev/null || true
  ip netns delete "$EMPTY" 2>/dev/null || true
  rm -f "$TMP/hold"; rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for n in "$NS" "$EMPTY"; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip netns exec "$NS" sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
CH_URL=$(node "$ROOT/bench/pipeline/ch.js" start "$TMP/ch")
mkfifo "$TMP/hold"; exec 3<>"$TMP/hold"
left=$PAIRS
for ((f = 0; f < FARMS; f++)); do
  n=$(( left < PER ? left : PER )); left=$((left - n))
  ip netns exec "$NS" "$B/sockfarm" "$n" $((65100 + f * 16)) 16 0 <"$TMP/hold" >"$TMP/farm$f.out" 2>&1 3>&- &
  PIDS+=($!)
done
BUILT=$(wait_farms "$TMP")
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "sockets: $BUILT; variants: ${VARIANTS[*]}; load $LOAD0" >&2

one() {  # one VARIANT_INDEX KIND REP
  local v=${VARIANTS[$1]} ns=$NS
  [ "$2" = empty ] && ns=$EMPTY
  local label=${v%%=*} rest=${v#*=} dir flags err=$TMP/err
  dir=${rest%%|*}; flags=""; envs=""; args=""; [ "$rest" != "$dir" ] && flags=${rest#*|}
  [ "$flags" != "${flags%%|*}" ] && { envs=${flags#*|}; flags=${flags%%|*}; }
  [ "$envs" != "${envs%%|*}" ] && { args=${envs#*|}; envs=${envs%%|*}; }
  (cd "$dir" && "$B/rusage" -o /dev/null -e "$err" -- env $envs node $flags bin/tcplens.js run $args --netns "$ns" --interval "$INTERVAL" \
    --duration "$DURATION" --clickhouse-url "$CH_URL" --database "ab$$_$1_$2_$3" --spool-dir "$TMP/spool$1" --listen 127.0.0.1:0 --log-level debug) >"$TMP/ru" &
  local rp=$! t0=$(date +%s%N) kid=""
  if [ -n "${TRACE_DIR:-}" ]; then  # RSS every 100 ms: ms since start, kB
    while kill -0 "$rp" 2>/dev/null; do
      kid=${kid:-$(pgrep -n -f "bin/tcplens.js run .*--netns $ns" || true)}
      [ -n "$kid" ] && echo "$(( ($(date +%s%N) - t0) / 1000000 )) $(awk '/VmRSS/ {print $2}' /proc/$kid/status 2>/dev/null)"
      sleep 0.1
    done >"$TRACE_DIR/$label.$2.$3.rss"
  fi
  wait "$rp"; ru=$(cat "$TMP/ru")
  [ -n "${TRACE_DIR:-}" ] && cp "$err" "$TRACE_DIR/$label.$2.$3.log"
  cyc=$(node -e 'const ls=require("fs").readFileSync(process.argv[1],"utf8").split("\n").filter(Boolean).map((l)=>{try{return JSON.parse(l)}catch{return {}}});
    const t=ls.find((l)=>l.key==="run.totals"); console.log(t ? t.cycles : -1)' "$err")
  echo "{\"label\":\"$label\",\"kind\":\"$2\",\"rep\":$3,\"cycles\":$cyc,\"ru\":$ru}" >>"$TMP/runs.jsonl"
  echo "  $label $2 rep $3: $ru cycles $cyc" >&2
}
for ((r = 0; r <= REPS; r++)); do  # rep 0: warm-up, not counted
  for ((i = 0; i < ${#VARIANTS[@]}; i++)); do one "$i" full "$r"; done
  for ((i = 0; i < ${#VARIANTS[@]}; i++)); do one "$i" empty "$r"; done
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
node -e '
const rs = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map(JSON.parse).filter((r) => r.rep > 0);
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const labels = [...new Set(rs.map((r) => r.label))];
const fig = (l, k, f) => med(rs.filter((r) => r.label === l && r.kind === k).map(f));
const rss = (r) => r.ru.maxrss_kb / 1024, cpu = (r) => (r.ru.user_us + r.ru.sys_us) / 1e6;
const a = labels[0];
console.log(`tcplens run, ${process.argv[2]} sockets, medians of ${Math.max(...rs.map((r) => r.rep))} interleaved reps`);
console.log("variant          peak RSS MB  x anchor  empty-ns MB  above empty  CPU s  x anchor  cycles");
for (const l of labels) {
  const m = fig(l, "full", rss), e = fig(l, "empty", rss), c = fig(l, "full", cpu);
  console.log(`${l.padEnd(16)} ${m.toFixed(1).padStart(11)} ${(m / fig(a, "full", rss)).toFixed(2).padStart(9)} ${e.toFixed(1).padStart(12)} ${(m - e).toFixed(1).padStart(12)} ${c.toFixed(2).padStart(6)} ${(c / fig(a, "full", cpu)).toFixed(2).padStart(9)} ${String(fig(l, "full", (r) => r.cycles)).padStart(7)}`);
}
console.log(`load average: ${process.argv[3]} at the start, ${process.argv[4]} at the end`);
' "$TMP/runs.jsonl" "$BUILT" "$LOAD0" "$LOAD1"
