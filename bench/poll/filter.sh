#!/usr/bin/env bash
# bench/poll/filter.sh: what a kernel-side --filter saves per poll cycle.
# A fresh namespace holds N loopback sockets (test/helpers/many_sockets.py:
# IPv4 and IPv6 pairs alternating); a long-running `tcplens poll --interval 1ms`
# pays, per cycle, CPU for the unfiltered dump (the anchor) and for filters
# keeping about half (src 127.0.0.1: the IPv4 half) and none (sport = :1: the
# kernel still walks every socket and runs the bytecode on it). Per cycle =
# (CPU of 21 cycles - CPU of 1) / 20, interleaved, median of R reps; each
# figure beside the anchor as a ratio.
# Usage: bench/poll/filter.sh [--pairs N] [--reps R]   (root, a built tcplens)
set -euo pipefail
PAIRS=5000 REPS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) PAIRS=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    *) echo "filter.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "filter.sh: needs root (network namespaces)" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NS="tl-bench-filter-$$"
ip netns add "$NS"
ip -n "$NS" link set lo up
exec 3> >(ip netns exec "$NS" python3 "$ROOT/test/helpers/many_sockets.py" "{\"pairs\": $PAIRS}" >/dev/null)
cleanup() { exec 3>&-; sleep 0.5; ip netns delete "$NS" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 100); do [ "$(ip netns exec "$NS" ss -tanH | wc -l)" -ge $((PAIRS * 2)) ] && break; sleep 0.2; done
SOCKS=$(ip netns exec "$NS" ss -tanH | wc -l)

cpu() {  # cpu COUNT [--filter EXPR]: user+sys seconds of one poll process
  /usr/bin/time -f "%U %S" node "$ROOT/bin/tcplens.js" poll --netns "$NS" --interval 1ms --count "$@" --format none 2>&1 >/dev/null |
    tail -1 | awk '{print $1 + $2}'
}
per_cycle() { local a b; a=$(cpu 1 "$@"); b=$(cpu 21 "$@"); echo "($b - $a) * 1000 / 20" | bc -l; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

FILTERS=("" "src 127.0.0.1" "sport = :1")
RUNS=("" "" "")
for _ in $(seq "$REPS"); do
  for i in "${!FILTERS[@]}"; do
    f=${FILTERS[$i]}
    if [ -z "$f" ]; then v=$(per_cycle); else v=$(per_cycle --filter "$f"); fi
    RUNS[i]+="$v"$'\n'
  done
done
echo "sockets: $SOCKS, reps: $REPS (medians; CPU per poll cycle of a long-running tcplens poll)"
anchor=$(printf '%s' "${RUNS[0]}" | median)
for i in "${!FILTERS[@]}"; do
  f=${FILTERS[$i]}
  m=$(printf '%s' "${RUNS[i]}" | median)
  kept=$(ip netns exec "$NS" ss -tanH ${f:+"$f"} | wc -l)
  printf '%-16s keeps %6d  %7.2f ms/cycle  %.2fx the unfiltered dump\n' "${f:-(no filter)}" "$kept" "$m" "$(echo "$m / $anchor" | bc -l)"
done
