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
