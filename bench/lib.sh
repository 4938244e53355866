# Sourced by bench/*/run.sh: where the bench and the project are, and the
# bench's own C helpers built into its build/ folder.

# bench_dirs NAME FILE: HERE (the bench's folder), ROOT, B (its build/); fails
# with a one-line hint unless tcplens is built (FILE, under ROOT, exists).
bench_dirs() {
  HERE=$(cd "$(dirname "$0")" && pwd)
  ROOT=$(cd "$HERE/../.." && pwd)
  B=$HERE/build
  [ -f "$ROOT/$2" ] || { echo "$1: build tcplens first (npm run build)" >&2; exit 2; }
  mkdir -p "$B"
}

# cc_fresh SRC [CFLAGS...]: build $B/<name of SRC> only when SRC is newer.
cc_fresh() {
  local src=$1 out
  out=$B/$(basename "$src" .c)
  shift
  [ "$out" -nt "$src" ] || cc -O2 -Wall -Wextra "$@" -o "$out" "$src"
}

# bench_args NAME "opt=VAR ... switch!VAR" "$@": --opt V sets VAR=V, --switch
# sets VAR=1, --smoke calls the script's smoke() (the short run the tests
# keep working), -h prints the script's header comment; anything else is
# one line and exit 2.
bench_args() {
  local name=$1 spec=$2 item found
  shift 2
  while [ $# -gt 0 ]; do
    case "$1" in
      -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
      --smoke) if declare -F smoke >/dev/null; then smoke; shift; continue; fi ;;
    esac
    found=
    for item in $spec; do
      if [ "--${item%%!*}" = "$1" ] && [ "$item" != "${item%%!*}" ]; then
        printf -v "${item#*!}" 1; shift; found=1; break
      elif [ "--${item%%=*}" = "$1" ] && [ "$item" != "${item%%=*}" ]; then
        [ $# -ge 2 ] || { echo "$name: $1 needs a value" >&2; exit 2; }
        printf -v "${item#*=}" '%s' "$2"; shift 2; found=1; break
      fi
    done
    [ -n "$found" ] || { echo "$name: unknown option $1 (see --help)" >&2; exit 2; }
  done
}

# need_root NAME WHY: unless root, one line (NAME: needs root (WHY)) and exit 2.
need_root() {
  [ "$(id -u)" = 0 ] || { echo "$1: needs root ($2)" >&2; exit 2; }
}

# need_cmd NAME CMD HOW: unless CMD is on the PATH, one line saying HOW to get it and exit 2.
need_cmd() {
  command -v "$2" >/dev/null || { echo "$1: $2 not found ($3)" >&2; exit 2; }
}

# start_farms NS PAIRS: sockfarms in NS holding PAIRS loopback connections,
# 9,900 a farm (RLIMIT_NOFILE), 16 listeners each from port 65100, held open
# by fd 3 on the fifo $TMP/hold (close fd 3 to end them); pids in PIDS, the
# number of farms in FARMS. Then wait_farms "$TMP".
start_farms() {
  local ns=$1 left=$2 per f n
  FARMS=$(( (left + 9899) / 9900 )); per=$(( (left + FARMS - 1) / FARMS ))
  mkfifo "$TMP/hold"
  exec 3<>"$TMP/hold"
  for ((f = 0; f < FARMS; f++)); do
    n=$(( left < per ? left : per )); left=$((left - n))
    ip netns exec "$ns" "$B/sockfarm" "$n" $((65100 + f * 16)) 16 0 <"$TMP/hold" >"$TMP/farm$f.out" 2>&1 3>&- &
    PIDS+=($!)
  done
}

# stop_farms: ends what start_farms started (and any other pid in PIDS).
stop_farms() {
  exec 3>&-  # farms exit when their stdin reaches EOF
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -f "$TMP/hold"  # a fifo: cp would block on it
}

# wait_farms DIR: waits (up to 120 s each) until every sockfarm in PIDS, the
# Ith writing to DIR/farmI.out, says "ready N"; prints the sum of the Ns. A
# farm that died or is not ready is one line and exit 1.
wait_farms() {
  local i t r built=0
  for ((i = 0; i < ${#PIDS[@]}; i++)); do
    for ((t = 0; t < 1200; t++)); do
      grep -q '^ready' "$1/farm$i.out" 2>/dev/null && break
      kill -0 "${PIDS[$i]}" 2>/dev/null || { echo "farm $i died: $(cat "$1/farm$i.out")" >&2; exit 1; }
      sleep 0.1
    done
    r=$(awk '/^ready/ {print $2}' "$1/farm$i.out")
    [ -n "$r" ] || { echo "farm $i not ready after 120 s" >&2; exit 1; }
    built=$((built + r))
  done
  echo "$built"
}
