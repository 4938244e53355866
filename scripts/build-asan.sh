#!/usr/bin/env bash
# npm run build:asan: the addon again, with AddressSanitizer and UBSan
# (g++ 12's runtimes, -fno-sanitize-recover: undefined behaviour aborts), into
# build/asan/build/Release/tcplens.node; build/Release is left as it is.
# Node is not built with ASan, so the runtime must be the first library the
# process loads: run node with
#   LD_PRELOAD=$(gcc -print-file-name=libasan.so) TCPLENS_ADDON=build/asan/build/Release/tcplens.node
# (scripts/test-asan.sh does, for the kernel-facing tests).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f bpf/.output/tcp_events.skel.h ] || npm run --silent build:bpf
dir=build/asan
mkdir -p "$dir"
cp binding.gyp "$dir/"
for d in native bpf node_modules; do ln -sfn "../../$d" "$dir/$d"; done
export CFLAGS="-g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
export CXXFLAGS="$CFLAGS"
export LDFLAGS="-fsanitize=address,undefined"
BUILD_NATIVE_DIR="$dir" exec bash scripts/build-native.sh
