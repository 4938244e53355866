#!/usr/bin/env bash
# npm start: the main job. Until `tcplens run` (ClickHouse sink) lands, the
# sidecar polls every namespace on an interval and prints one summary line per
# poll; the preflight runs first and says what this host allows.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/src/cli/main.js ] && [ -f build/Release/tcplens.node ] || npm run --silent build
node bin/tcplens.js preflight   # exits 1 when tcplens cannot run here
exec node bin/tcplens.js poll --netns "${TCPLENS_NETNS:-all}" --interval "${TCPLENS_INTERVAL:-10s}" --format none "$@"
