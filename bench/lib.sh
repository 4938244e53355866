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
