#!/usr/bin/env bash
# npm test: compile (native only if never built), lint (scripts/lint.sh), run
# the whole mocha suite on this machine's kernel and, beside it, the kernel matrix (the
# kernel-facing tests on Debian's 5.10, 6.1 and 6.12 under qemu; TCPLENS_KERNELS=none
# skips it, and so does naming test files), and end with the plain
# "N passed, N failed, N skipped" line CI reads, over both.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -f build/Release/tcplens.node ] || npm run --silent build:native || exit 1
npm run --silent build:ts || exit 1
# The kernel matrix runs beside the host suite, its output kept for the end: its
# qemu guests (TCG) are CPU-bound, the host suite is not (~30% of the 2 cores on
# average by vmstat, mostly waiting on servers and timers), so the guests take
# what the host suite leaves idle; niced, so the host's timing-sensitive tests
# keep the CPU they ask for. One after the other they took 26 + 18 minutes.
kpid="" klog=""
if [ $# -eq 0 ] && [ "${TCPLENS_KERNELS:-}" != none ]; then
  klog="$(mktemp)"
  # the host's kernel runs the whole suite below: it gives only its preflight there
  nice -n 19 bash scripts/kernels/matrix.sh --no-host-tests >"$klog" 2>&1 &
  kpid=$!
fi
# the style first: a red lint is a red run, but the tests still run and report
lint_rc=0
[ $# -eq 0 ] && { bash scripts/lint.sh || lint_rc=1; }
log="$(mktemp)"
failures="$(mktemp)"
trap 'rm -f "$log" "$failures" ${klog:+"$klog"}' EXIT
npx --no-install mocha --config .mocharc.json "$@" 2>&1 | tee "$log"
rc="${PIPESTATUS[0]}"
passed=$(grep -Eo '^ *[0-9]+ passing' "$log" | grep -Eo '[0-9]+' | tail -1)
failed=$(grep -Eo '^ *[0-9]+ failing' "$log" | grep -Eo '[0-9]+' | tail -1)
skipped=$(grep -Eo '^ *[0-9]+ pending' "$log" | grep -Eo '[0-9]+' | tail -1)
sed -n '/^ *[0-9]* failing/,$p' "$log" > "$failures"
# mocha's exit code is the failure count; a run that crashed counted nothing
if [ "$rc" -eq 0 ] && [ -z "$passed" ]; then rc=1; fi
passed=${passed:-0} failed=${failed:-0} skipped=${skipped:-0}

if [ -n "$kpid" ]; then
  echo "npm test: waiting for the kernel matrix (started beside the host suite)"
  wait "$kpid"
  krc=$?
  cat "$klog"
  read -r kp kf ks < <(sed -n 's/^kernels: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$klog" | tail -1)
  if [ -z "${kp:-}" ]; then kp=0 kf=1 ks=0; fi   # the matrix crashed: a failure
  passed=$((passed + kp)); failed=$((failed + kf)); skipped=$((skipped + ks))
  [ "$krc" -eq 0 ] || [ "$rc" -ne 0 ] || rc=1
fi
[ "$lint_rc" -eq 0 ] || { echo "npm test: lint failed (npm run lint)"; failed=$((failed + 1)); [ "$rc" -ne 0 ] || rc=1; }
# CI shows only the tail of a run: repeat which host tests failed, and why, just above the total
[ ! -s "$failures" ] || { echo "=== the host suite's failures, again ==="; head -c 20000 "$failures"; }
echo "$passed passed, $failed failed, $skipped skipped"
exit "$rc"
