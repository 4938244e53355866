#!/usr/bin/env bash
# npm run test:asan [-- TEST_FILES...]: the kernel-facing native tests (the
# addon's decoders, the poll/destroy/events/samples sources over real
# namespaces and eBPF) against the ASan+UBSan addon of build-asan.sh, built
# first if missing. Ends with "asan: N reports" (ASan and UBSan reports of
# every process of the run, from their log files) and fails on any.
#
# Node is not built with ASan: the runtime is preloaded (LD_PRELOAD), and
# leak detection is off (detect_leaks=0) because Node keeps its heap to the
# end and never frees it at exit, so LeakSanitizer would list Node's own
# allocations; leaks in the decoders are caught by the fuzz targets
# (scripts/fuzz.sh runs them with detect_leaks=1).
set -uo pipefail
cd "$(dirname "$0")/.."
[ -f build/asan/build/Release/tcplens.node ] || npm run --silent build:asan || exit 1
[ -f dist/src/native/addon.js ] || npm run --silent build:ts || exit 1
files=("$@")
if [ "${#files[@]}" -eq 0 ]; then
  files=(dist/test/native/contracts.test.js dist/test/native/event_layout.test.js dist/test/native/layout.test.js
    dist/test/native/replay.test.js dist/test/native/sample_layout.test.js dist/test/native/sample_replay.test.js
    dist/test/sources/poll.test.js dist/test/sources/destroy.test.js dist/test/sources/events.test.js
    dist/test/sources/samples.test.js dist/test/sources/variants.test.js)
fi
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
asan="$(gcc -print-file-name=libasan.so)"
[ -f "$asan" ] || { echo "test-asan: gcc's libasan.so missing" >&2; exit 1; }
export LD_PRELOAD="$asan" TCPLENS_ADDON="$PWD/build/asan/build/Release/tcplens.node"
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:log_path=$logs/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"
# the instrumented addon is the one the tests load, with the runtime in place
node -e '
  require(process.env.TCPLENS_ADDON);
  const maps = require("fs").readFileSync("/proc/self/maps", "utf8");
  if (!/libasan/.test(maps) || !/libubsan/.test(maps) || !maps.includes(process.env.TCPLENS_ADDON)) process.exit(1);
  console.log("test-asan: node runs " + process.env.TCPLENS_ADDON + " with libasan and libubsan");
' || { echo "test-asan: the sanitizer build does not load" >&2; exit 1; }
npx --no-install mocha --no-config --exit --timeout 180000 "${files[@]}"
rc=$?
n=$(find "$logs" -type f | wc -l)
for f in "$logs"/*; do [ -f "$f" ] && { echo "== $f"; head -40 "$f"; }; done
echo "asan: $n reports"
[ "$n" -eq 0 ] || rc=1
exit "$rc"
