#!/usr/bin/env bash
# npm start: the main job. `tcplens run` checks the host (preflight), starts a
# local ClickHouse under ./.tcplens when none is configured
# (TCPLENS_CLICKHOUSE_URL), applies the schema, and watches every namespace
# until Ctrl-C, with metrics on 127.0.0.1:9088. Settings: flags after
# `npm start --`, or TCPLENS_* variables (see `node bin/tcplens.js run --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/src/cli/main.js ] && [ -f build/Release/tcplens.node ] || npm run --silent build
exec node bin/tcplens.js run "$@"
