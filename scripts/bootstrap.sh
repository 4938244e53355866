#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for tcplens: the Debian packages the build,
# the tests and the main job need (when missing), npm ci, and the build.
# Everything comes from Debian's archive and the npm registry; nothing else
# is downloaded. Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# build: clang/llvm/bpftool/libbpf-dev/libelf/zlib (eBPF + static libbpf), g++/make/python3 (node-gyp)
# fuzz + sanitizers (scripts/fuzz.sh, npm run build:asan): libclang-rt-14-dev (libFuzzer, ASan, UBSan runtimes)
# run + tests: iproute2 (ip netns, ss), libcap2-bin (capsh), nftables (forced loss),
# bpftrace (benchmark anchor), openssl (certificates of the TLS test), clickhouse (the sink), zookeeper (replicated fleet schema test),
# prometheus (promtool for alert rules); the kernel matrix (scripts/kernels):
# qemu-system-x86, busybox-static, cpio, kmod, xz-utils, zstd; deploy (npm run package:deb and
# test/deploy): dpkg-dev (dpkg-shlibdeps), debootstrap + dpkg-repack (a fresh Debian root with this
# machine's Node), systemd (systemd-analyze verify), vagrant (vagrant validate); npm run lint: clang-format
PKGS=(clang clang-format llvm libclang-rt-14-dev libbpf-dev bpftool libelf-dev zlib1g-dev make g++ python3 pkg-config
      iproute2 libcap2-bin nftables bpftrace procps util-linux openssl
      clickhouse-server clickhouse-client zookeeper prometheus
      qemu-system-x86 busybox-static cpio kmod xz-utils zstd
      dpkg-dev debootstrap dpkg-repack systemd vagrant)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bootstrap: missing Debian packages: ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "bootstrap: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d keeps package scripts from starting services (we start our own instances)
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v node >/dev/null; then
  echo "bootstrap: Node.js 20+ is required (apt-get install nodejs npm, or your distribution's Node 20)" >&2
  exit 1
fi

echo "bootstrap: npm ci"
npm ci --no-audit --no-fund --loglevel=error
echo "bootstrap: build"
npm run --silent build
echo "bootstrap: ready"
