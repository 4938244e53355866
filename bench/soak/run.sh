#!/usr/bin/env bash
# bench/soak: `tcplens run` with every view into a private ClickHouse under a
# steady churning workload for 30 minutes (see bench/soak/soak.ts for what it
# samples and checks). Options are passed on: --minutes M --sample-s S
# --baseline-s S --held PAIRS --rate CONN_PER_S --interval-ms MS
# --rss-slope MIB_PER_MIN --heap-slope MIB_PER_MIN
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f dist/bench/soak/soak.js ] || npm run --silent build
exec node dist/bench/soak/soak.js "$@"
