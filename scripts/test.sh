#!/usr/bin/env bash
# npm test: compile (native only if never built), run the whole mocha suite,
# and end with the plain "N passed, N failed, N skipped" line CI reads.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -f build/Release/tcplens.node ] || npm run --silent build:native || exit 1
npm run --silent build:ts || exit 1
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
npx --no-install mocha --config .mocharc.json "$@" 2>&1 | tee "$log"
rc="${PIPESTATUS[0]}"
passed=$(grep -Eo '^ *[0-9]+ passing' "$log" | grep -Eo '[0-9]+' | tail -1)
failed=$(grep -Eo '^ *[0-9]+ failing' "$log" | grep -Eo '[0-9]+' | tail -1)
skipped=$(grep -Eo '^ *[0-9]+ pending' "$log" | grep -Eo '[0-9]+' | tail -1)
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
# mocha's exit code is the failure count; a run that crashed counted nothing
if [ "$rc" -eq 0 ] && [ -z "$passed" ]; then rc=1; fi
exit "$rc"
