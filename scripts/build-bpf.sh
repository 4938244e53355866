#!/usr/bin/env bash
# Builds every bpf/<name>.bpf.c into a CO-RE object and a libbpf skeleton
# (bpf/.output/<name>.skel.h) that native/ includes when it exists.
# vmlinux.h is generated here from the running kernel's BTF and never
# committed. Without clang, bpftool or BTF the build still succeeds: the
# addon is then built without the eBPF views and says so at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bpf/.output
mkdir -p "$out"
rm -f "$out"/*.skel.h "$out"/*.bpf.o "$out"/bpf_skipped.h

shopt -s nullglob
progs=(bpf/*.bpf.c)
[ "${#progs[@]}" -gt 0 ] || exit 0

btf="${TCPLENS_BTF:-/sys/kernel/btf/vmlinux}"
skip() {
  echo "build-bpf: $1: building without the eBPF views (events, samples)" >&2
  # native/ reports this reason at run time ("not built: ...")
  printf '#define TL_BPF_SKIPPED "%s"\n' "${1//\"/}" > "$out/bpf_skipped.h"
  exit 0
}
command -v clang >/dev/null || skip "clang not found (apt-get install clang llvm)"
command -v bpftool >/dev/null || skip "bpftool not found (apt-get install bpftool)"
[ -r "$btf" ] || skip "no kernel BTF at $btf"
[ -f /usr/include/bpf/bpf_helpers.h ] || skip "libbpf headers not found (apt-get install libbpf-dev)"

bpftool btf dump file "$btf" format c > "$out/vmlinux.h.tmp"
mv "$out/vmlinux.h.tmp" "$out/vmlinux.h"

arch=$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
for src in "${progs[@]}"; do
  name=$(basename "$src" .bpf.c)
  # -mcpu=v3: clang 14's default ISA makes the verifier reject bounded loops
  clang -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_"$arch" \
    -I"$out" -Ibpf -Wall -Werror -c "$src" -o "$out/$name.tmp.o"
  # strip DWARF (keeps BTF): a smaller skeleton embedded in the addon
  llvm-strip -g "$out/$name.tmp.o" 2>/dev/null || true
  mv "$out/$name.tmp.o" "$out/$name.bpf.o"
  bpftool gen skeleton "$out/$name.bpf.o" name "$name" > "$out/$name.skel.h.tmp"
  mv "$out/$name.skel.h.tmp" "$out/$name.skel.h"
  echo "build-bpf: $name"
done
