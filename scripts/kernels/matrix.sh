#!/usr/bin/env bash
# npm run test:kernels [-- --write] [-- --no-host-tests] [-- KERNEL...]
#
# The kernel matrix: boots each kernel of the list under qemu (boot.sh: Debian's
# own kernel packages, fetched once into a cache, the machine's root shared
# read-only) and runs guest-run.js there: this kernel's preflight, then the
# kernel-facing tests, in one node process. The host's own kernel runs the same
# script directly. Then the README's kernel support table is checked against
# what the kernels did (--write rewrites it instead).
#
#   KERNEL          5.10 (Debian 11), 6.1 (Debian 12), 6.12 (Debian 12 backports),
#                   host (this machine's); default: all four, or $TCPLENS_KERNELS
#   --write         rewrite README.md's generated section from this run
#   --no-host-tests the host's kernel gives its preflight only (npm test has just
#                   run the whole suite on it)
#   TCPLENS_KERNEL_JOBS  guests booted side by side (default 3)
# Prints "kernels: N passed, N failed, N skipped" last; exit status 1 when a
# kernel failed a test, gave no result, or the README's table differs.
set -euo pipefail
cd "$(dirname "$0")/../.."

WRITE=0 HOST_TESTS=1 LIST=()
for a in "$@"; do
  case "$a" in
    --write) WRITE=1 ;;
    --no-host-tests) HOST_TESTS=0 ;;
    5.10|6.1|6.12|host) LIST+=("$a") ;;
    *) echo "test:kernels: unknown argument '$a' (5.10, 6.1, 6.12, host, --write, --no-host-tests)" >&2; exit 2 ;;
  esac
done
if [ "${#LIST[@]}" -eq 0 ]; then read -r -a LIST <<<"${TCPLENS_KERNELS:-5.10 6.1 6.12 host}"; fi
declare -A DISTRO=([5.10]="Debian 11" [6.1]="Debian 12" [6.12]="Debian 12 backports" [host]="this machine")

[ -f dist/src/preflight/index.js ] && [ -f build/Release/tcplens.node ] || { echo "test:kernels: build first (npm run build)" >&2; exit 2; }
RESULTS="$(mktemp -d /tmp/tcplens-kernels.XXXXXX)"
trap 'rm -rf "$RESULTS"' EXIT
passed=0 failed=0 skipped=0 bad=()

# One kernel: its guest-run.js output into $RESULTS/K.log, its exit status into K.rc.
run_kernel() {
  local k="$1" log="$RESULTS/$1.log" rc=0 args=()
  if [ "$k" = host ]; then
    [ "$HOST_TESTS" = 1 ] || args=(--no-tests)
    node scripts/kernels/guest-run.js "${args[@]}" >"$log" 2>&1 || rc=$?
  else
    bash scripts/kernels/boot.sh "$k" --timeout "${TCPLENS_KERNEL_TIMEOUT:-2400}" -- node scripts/kernels/guest-run.js >"$log" 2>&1 || rc=$?
  fi
  echo "$rc" >"$RESULTS/$k.rc"
  echo "test:kernels: $k done (exit $rc) at +$((SECONDS - T0)) s"
}

# The guests run side by side (TCG guests spend much of a test waiting; two or
# three share this machine's 2 cores well), the host's own kernel meanwhile.
JOBS="${TCPLENS_KERNEL_JOBS:-3}" T0=$SECONDS
for k in "${LIST[@]}"; do
  [ "$k" = host ] && continue
  bash scripts/kernels/fetch.sh "$k" >/dev/null   # one download at a time, before the guests start
done
for k in "${LIST[@]}"; do
  [ "$k" = host ] && continue
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
  echo "test:kernels: booting $k (${DISTRO[$k]})"
  run_kernel "$k" &
done
for k in "${LIST[@]}"; do [ "$k" = host ] && run_kernel host; done
wait

for k in "${LIST[@]}"; do
  log="$RESULTS/$k.log" rc="$(cat "$RESULTS/$k.rc" 2>/dev/null || echo 125)"
  echo "=== kernel $k (${DISTRO[$k]}) ==="
  grep -av '^TCPLENS_KERNEL_RESULT ' "$log" || true
  # a guest that timed out has no result line: that is a failure of this kernel, not the end of the run
  line="$({ grep -a '^TCPLENS_KERNEL_RESULT ' "$log" || true; } | tail -1 | cut -d' ' -f2-)"
  if [ -z "$line" ]; then
    echo "test:kernels: kernel $k gave no result (exit $rc)" >&2
    bad+=("$k"); failed=$((failed + 1)); continue
  fi
  node -e '
    const [k, distro, file] = process.argv.slice(1);
    const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
    require("fs").writeFileSync(file, JSON.stringify({ kernel: k, distro, ...r }, null, 1));
    const t = r.tests ?? { passed: 0, failed: 0, skipped: 0 };
    console.log(`${t.passed} ${t.failed} ${t.skipped}`);
  ' "$k" "${DISTRO[$k]}" "$RESULTS/$k.json" <<<"$line" >"$RESULTS/$k.counts"
  read -r p f s <"$RESULTS/$k.counts"
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  if [ "$f" -gt 0 ] || [ "$rc" -ne 0 ]; then bad+=("$k"); fi
  echo "=== kernel $k: $p passed, $f failed, $s skipped (exit $rc) ==="
done

table=0
if [ "${LIST[*]}" != "5.10 6.1 6.12 host" ]; then
  echo "test:kernels: not every kernel ran: README's table left unchecked; this run's section:"
  node scripts/kernels/support-table.js "$RESULTS" || true
elif [ "$WRITE" = 1 ]; then
  node scripts/kernels/support-table.js "$RESULTS" --write || table=1
elif [ "${#bad[@]}" -eq 0 ]; then
  node scripts/kernels/support-table.js "$RESULTS" --check || table=1
fi
# CI shows only the tail of a run: repeat each failing kernel's failures, and why, just above the total
for k in "${bad[@]}"; do
  echo "=== kernel $k's failures, again ==="
  { sed -n '/^ *[0-9]* failing/,$p' "$RESULTS/$k.log" | grep -av '^TCPLENS_KERNEL_RESULT '; } | head -c 8000 || true
  grep -aq '^ *[0-9]* failing' "$RESULTS/$k.log" || tail -n 30 "$RESULTS/$k.log"
done
[ "${#bad[@]}" -eq 0 ] || echo "test:kernels: failed on: ${bad[*]}" >&2
[ "$table" -eq 0 ] || failed=$((failed + 1))   # the README's claim is a test too
echo "kernels: $passed passed, $failed failed, $skipped skipped"
[ "${#bad[@]}" -eq 0 ] && [ "$table" -eq 0 ]
