#!/usr/bin/env bash
# Builds the native addon against the installed Node's own headers, so
# node-gyp never downloads anything (locked-down hosts have no way out).
# BUILD_NATIVE_DIR: build the binding.gyp found there instead (build-asan.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -z "${BUILD_NATIVE_DIR:-}" ] || cd "$BUILD_NATIVE_DIR"
nodedir="${npm_config_nodedir:-}"
if [ -z "$nodedir" ]; then
  prefix="$(dirname "$(dirname "$(command -v node)")")"
  if [ -f "$prefix/include/node/node_api.h" ]; then nodedir="$prefix"; fi
fi
if [ -z "$nodedir" ]; then
  echo "build-native: cannot find Node's headers (include/node/node_api.h) next to $(command -v node); set npm_config_nodedir" >&2
  exit 1
fi
exec npx --no-install node-gyp rebuild --nodedir="$nodedir" -j 2 "$@"
