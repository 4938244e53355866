#!/usr/bin/env bash
# npm run lint: the style every change keeps, checked (not fixed):
#   ESLint (typescript-eslint's recommended rules, eslint.config.js),
#   Prettier (.prettierrc.json) over the TypeScript and JavaScript,
#   clang-format over the C (.clang-format) and the N-API glue (.clang-format-glue).
# `npm run lint -- --fix` rewrites instead of checking. npm test runs it first.
set -uo pipefail
cd "$(dirname "$0")/.."
FIX=0
[ "${1:-}" = --fix ] && FIX=1
rc=0
JS=('{src,test,bench,scripts,fuzz}/**/*.{ts,js}' eslint.config.js)
if [ "$FIX" = 1 ]; then
  npx --no-install eslint --fix . || rc=1
  npx --no-install prettier --log-level warn --write "${JS[@]}" || rc=1
else
  npx --no-install eslint . || rc=1
  npx --no-install prettier --log-level warn --check "${JS[@]}" || { echo "lint: prettier: run npm run lint -- --fix" >&2; rc=1; }
fi
# C in the kernel's layout (.clang-format); the N-API glue in Google's (.clang-format-glue)
cfmt() {  # cfmt STYLEFILE FILES...
  local style="$1"; shift
  [ $# -gt 0 ] || return 0
  if [ "$FIX" = 1 ]; then clang-format --style="file:$style" -i "$@"
  else clang-format --style="file:$style" --dry-run --Werror "$@" 2>&1 | head -20; return "${PIPESTATUS[0]}"; fi
}
if command -v clang-format >/dev/null; then
  mapfile -t GLUE < <(git ls-files 'native/napi_*' 'native/addon.cc')
  mapfile -t C < <(git ls-files 'native/*.c' 'native/*.h' 'bpf/*.c' 'bpf/*.h' 'test/native/*.c' 'fuzz/*.c' 'fuzz/*.h' 'bench/*/*.c' | grep -v '^native/napi_')
  cfmt .clang-format "${C[@]}" || { echo "lint: clang-format: run npm run lint -- --fix" >&2; rc=1; }
  cfmt .clang-format-glue "${GLUE[@]}" || { echo "lint: clang-format: run npm run lint -- --fix" >&2; rc=1; }
else
  echo "lint: clang-format not installed (apt-get install clang-format): C and C++ not checked" >&2
  rc=1
fi
[ "$rc" -eq 0 ] && echo "lint: ok"
exit "$rc"
