#!/usr/bin/env bash
# boot.sh NAME [--timeout S] [--mem MB] [--env VAR[=VALUE]]... [--keep] [--verbose] -- COMMAND...
#
# Runs COMMAND as root inside a qemu guest booted with Debian's kernel NAME (5.10,
# 6.1, 6.12; fetched into the cache by fetch.sh when missing), on this machine's
# own root filesystem: / is shared read-only over 9p and the guest writes to a
# tmpfs overlay, so nothing it does reaches the host. COMMAND runs through bash in
# the directory boot.sh was called from; one argument is a script
# ('make && ./x | head'), several are one command line taken word for word
# (node -e 'console.log(1)'). Its stdout and stderr arrive on boot.sh's
# stdout and stderr as it runs; boot.sh exits with its exit status.
#
#   --timeout S   kill the guest after S seconds and exit 124 (default 1200)
#   --mem MB      guest memory (default 4096)
#   --env VAR     pass VAR (or VAR=VALUE) to the guest; CI and TCPLENS_* always pass
#   --keep        keep the run directory (console log, qemu log) and print its path
#   --verbose     full kernel log, and the console shown live on stderr
# Exit status: COMMAND's; 124 on timeout; 125 when the guest failed before or
# around COMMAND (its console log is shown).
#
# Under TCG (KVM guests do not boot on these machines) a short command is done in
# ~7-9 s (kernel ~2.5 s, initramfs + setup ~3 s); programs start slowly in the
# guest (`node -e 0` 1-3 s, a big node CLI much longer): run one long process.
# Knobs for debugging: TCPLENS_BOOT_APPEND (extra kernel arguments, e.g.
# tcplens.overlay=0 to test the no-overlayfs fallback), TCPLENS_BOOT_PVH=0.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"

usage() { die "usage: boot.sh NAME [--timeout S] [--mem MB] [--env VAR[=VALUE]]... [--keep] [--verbose] -- COMMAND..."; }
[ $# -ge 1 ] || usage
NAME="$1"; shift
check_name "$NAME"
TIMEOUT=1200 MEM=4096 KEEP=0 VERBOSE=0 EXTRA_ENV=()
while [ $# -gt 0 ]; do
  case "$1" in
    --timeout) [ $# -ge 2 ] || usage; TIMEOUT="$2"; shift 2 ;;
    --mem)     [ $# -ge 2 ] || usage; MEM="$2"; shift 2 ;;
    --env)     [ $# -ge 2 ] || usage; EXTRA_ENV+=("$2"); shift 2 ;;
    --keep)    KEEP=1; shift ;;
    --verbose) VERBOSE=1; shift ;;
    --)        shift; break ;;
    *)         usage ;;
  esac
done
[ $# -ge 1 ] || usage
[[ "$TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die "--timeout wants whole seconds, got '$TIMEOUT'"
[[ "$MEM" =~ ^[1-9][0-9]*$ ]] || die "--mem wants megabytes, got '$MEM'"
[ "$(id -u)" -eq 0 ] || die "run as root (the guest's root is this machine's /, read as root over 9p)"

# qemu; busybox-static (initramfs); cpio; kmod (the guest runs this machine's
# modprobe); xz/zstd (compressed modules); iproute2 (ip in the guest)
ensure_pkgs qemu-system-x86 busybox-static cpio kmod xz-utils zstd iproute2 util-linux

"$HERE/fetch.sh" "$NAME" >/dev/null
DIR="$KERNEL_CACHE/$NAME"
REL="$(cat "$DIR/release")"
MODDIR="$DIR/root/lib/modules/$REL"

# --- initramfs: busybox, initramfs-init.sh as /init, and the modules it loads ---
# The modules (and their dependencies, from modules.dep) that mount 9p + overlayfs;
# names built into a kernel, or absent from it, are skipped.
WANT=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
      netfs fscache 9pnet 9pnet_virtio 9p overlay virtio_rng)
declare -A DEPLINE=() ADDED=()
MODS=()
while IFS= read -r line; do
  m="${line%%:*}"; m="${m##*/}"; m="${m%%.ko*}"
  DEPLINE["${m//-/_}"]="$line"
done <"$MODDIR/modules.dep"
add_mod() {   # add_mod NAME: its dependencies first, then itself
  local n="${1//-/_}" line dep
  [ -n "${ADDED[$n]:-}" ] && return 0
  ADDED[$n]=1
  line="${DEPLINE[$n]:-}"
  [ -n "$line" ] || return 0            # built in, or not in this kernel
  for dep in ${line#*:}; do dep="${dep##*/}"; add_mod "${dep%%.ko*}"; done
  MODS+=("${line%%:*}")
}
for m in "${WANT[@]}"; do add_mod "$m"; done

INITRD="$DIR/initramfs.cpio.gz"
STAMP="$( { echo "$REL"; cat "$HERE/initramfs-init.sh"; printf '%s\n' "${MODS[@]}"; dpkg-query -W -f='${Version}' busybox-static; } | sha256sum | cut -c1-16)"
if [ "$(cat "$DIR/initramfs.stamp" 2>/dev/null)" != "$STAMP" ] || [ ! -f "$INITRD" ]; then
  exec 9>"$KERNEL_CACHE/.$NAME.lock"; flock 9   # one builder per kernel
  if [ "$(cat "$DIR/initramfs.stamp" 2>/dev/null)" != "$STAMP" ] || [ ! -f "$INITRD" ]; then
    note "building the initramfs for $NAME ($REL)"
    ST="$(mktemp -d "$DIR/.initramfs.XXXXXX")"
    mkdir -p "$ST"/{bin,dev,proc,sys,mods}
    cp /bin/busybox "$ST/bin/busybox"
    for a in $(busybox --list); do [ "$a" = busybox ] || ln -s busybox "$ST/bin/$a"; done
    mknod "$ST/dev/console" c 5 1          # the kernel opens it for /init's stdio
    for f in "${MODS[@]}"; do
      m="${f##*/}"; m="${m%%.ko*}"
      case "$f" in   # insmod wants plain .ko: decompress here
        *.ko.xz)  xz -dc "$MODDIR/$f" >"$ST/mods/$m.ko" ;;
        *.ko.zst) zstd -qdc "$MODDIR/$f" >"$ST/mods/$m.ko" ;;
        *.ko.gz)  gzip -dc "$MODDIR/$f" >"$ST/mods/$m.ko" ;;
        *.ko)     cp "$MODDIR/$f" "$ST/mods/$m.ko" ;;
        *)        die "unexpected module file $f" ;;
      esac
      echo "$m" >>"$ST/mods/order"
    done
    install -m 0755 "$HERE/initramfs-init.sh" "$ST/init"
    (cd "$ST" && find . | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$INITRD.tmp"
    mv "$INITRD.tmp" "$INITRD"
    echo "$STAMP" >"$DIR/initramfs.stamp"
    rm -rf "$ST"
  fi
  exec 9>&-
fi

# --- the kernel image: an uncompressed ELF vmlinux when the kernel supports PVH ---
# qemu starts a PVH-capable ELF vmlinux directly, skipping the BIOS boot path and the
# guest's own decompression: ~3.5 s less per boot under TCG. Extracted once from the
# bzImage (xz on 5.10 and 6.1, zstd on 6.12). TCPLENS_BOOT_PVH=0 boots the bzImage.
KERNEL="$DIR/root/boot/vmlinuz-$REL"
extract_vmlinux() {   # extract_vmlinux BZIMAGE OUT: the first payload that is an ELF
  local spec magic dec off
  for spec in $'\xfd7zXZ:xz -dc' $'\x28\xb5\x2f\xfd:zstd -qdc' $'\x1f\x8b\x08:gzip -dc'; do
    magic="${spec%%:*}"; dec="${spec#*:}"
    for off in $(LC_ALL=C grep -abo "$magic" "$1" | head -3 | cut -d: -f1); do
      # the decompressor stops with an error at the bzImage's trailer: expected
      tail -c +"$((off + 1))" "$1" | $dec >"$2.tmp" 2>/dev/null || true
      if [ "$(head -c 4 "$2.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then mv "$2.tmp" "$2"; return 0; fi
    done
  done
  rm -f "$2.tmp"; return 1
}
if [ "${TCPLENS_BOOT_PVH:-1}" != 0 ] && grep -qx 'CONFIG_PVH=y' "$DIR/root/boot/config-$REL" 2>/dev/null; then
  if [ ! -f "$DIR/vmlinux" ]; then
    exec 9>"$KERNEL_CACHE/.$NAME.lock"; flock 9
    [ -f "$DIR/vmlinux" ] || extract_vmlinux "$KERNEL" "$DIR/vmlinux" \
      || note "cannot extract vmlinux from $KERNEL: booting the bzImage (slower)"
    exec 9>&-
  fi
  [ -f "$DIR/vmlinux" ] && KERNEL="$DIR/vmlinux"
fi

# --- run directory: shared writable with the guest (9p tag tcplensrun) ---
RUN="$(mktemp -d /tmp/tcplens-boot.XXXXXX)"
QPID="" TAILS=()
cleanup() {   # stop what we started (timeout passes the TERM on to qemu), then reap it
  local p
  for p in $QPID "${TAILS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  if [ "$KEEP" = 1 ]; then note "run directory kept: $RUN"; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

install -m 0755 "$HERE/guest-init.sh" "$RUN/init.sh"
{
  echo "TCPLENS_GUEST_KERNEL=$(printf %q "$NAME")"
  echo "TCPLENS_GUEST_MODULES=$(printf %q "$MODDIR")"
  echo "TCPLENS_GUEST_CWD=$(printf %q "$(pwd -P)")"
  echo "TCPLENS_GUEST_NOFILE=$(ulimit -Sn):$(ulimit -Hn)"
} >"$RUN/conf"
# The environment passed through: CI, every TCPLENS_*, and --env ones.
{
  for v in CI $(compgen -e | grep '^TCPLENS_' || true); do
    if [ -n "${!v+x}" ]; then echo "export $v=$(printf %q "${!v}")"; fi
  done
  for e in "${EXTRA_ENV[@]}"; do
    [[ "${e%%=*}" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "--env wants VAR or VAR=VALUE, got '$e'"
    case "$e" in
      *=*) echo "export ${e%%=*}=$(printf %q "${e#*=}")" ;;
      *)   if [ -n "${!e+x}" ]; then echo "export $e=$(printf %q "${!e}")"; fi ;;
    esac
  done
} >"$RUN/env"
if [ $# -eq 1 ]; then printf '%s\n' "$1" >"$RUN/cmd"; else printf '%q ' "$@" >"$RUN/cmd"; echo >>"$RUN/cmd"; fi
: >"$RUN/stdout"; : >"$RUN/stderr"; : >"$RUN/console.log"

# --- qemu ---
APPEND="console=ttyS0 panic=-1 tcplens.kernel=$NAME"
[ "$VERBOSE" = 1 ] || APPEND+=" quiet loglevel=3"
[ -n "${TCPLENS_BOOT_APPEND:-}" ] && APPEND+=" $TCPLENS_BOOT_APPEND"
QEMU=(qemu-system-x86_64
  -accel tcg -cpu max -smp 2 -m "$MEM"   # TCG: KVM guests do not boot on these machines
  -nodefaults -no-user-config -display none -no-reboot   # no-reboot: a panic ends qemu
  -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND"
  -serial "file:$RUN/console.log"
  # the host's / read-only; multidevs=remap keeps inode numbers unique across the
  # host's mounts that the share crosses
  -fsdev "local,id=r,path=/,security_model=none,readonly=on,multidevs=remap"
  -device virtio-9p-pci,fsdev=r,mount_tag=hostroot
  -fsdev "local,id=run,path=$RUN,security_model=none"
  -device virtio-9p-pci,fsdev=run,mount_tag=tcplensrun
  -device virtio-rng-pci)
START=$(date +%s.%N)
# timeout puts qemu in its own process group: a terminal's ^C reaches only us (the
# trap then stops it through timeout)
timeout -k 10 "$TIMEOUT" "${QEMU[@]}" </dev/null >"$RUN/qemu.log" 2>&1 &
QPID=$!
# Stream the command's output as the guest writes it (9p writes land at once).
tail -s 0.2 -n +1 -f --pid="$QPID" "$RUN/stdout" & TAILS+=($!)
tail -s 0.2 -n +1 -f --pid="$QPID" "$RUN/stderr" >&2 & TAILS+=($!)
if [ "$VERBOSE" = 1 ]; then tail -s 0.2 -n +1 -f --pid="$QPID" "$RUN/console.log" >&2 & TAILS+=($!); fi
qrc=0; wait "$QPID" || qrc=$?
QPID=""
for p in "${TAILS[@]}"; do wait "$p" 2>/dev/null || true; done
TAILS=()
SECS=$(awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

show_console() {   # the end of the guest's console and qemu's own messages
  echo "--- guest console (last 40 lines) ---"; tail -n 40 "$RUN/console.log" | tr -d '\r'
  [ -s "$RUN/qemu.log" ] && { echo "--- qemu ---"; tail -n 20 "$RUN/qemu.log"; }
  echo "---"
} >&2
# guest setup warnings (a mount that failed...) go to the console: repeat them
grep -a 'tcplens-guest: warning' "$RUN/console.log" | tr -d '\r' >&2 || true

if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
  [ "$VERBOSE" = 1 ] || show_console
  note "$NAME: timed out after ${TIMEOUT}s: guest killed"
  exit 124
fi
rc="$(cat "$RUN/rc" 2>/dev/null || true)"
# the rc file is the channel; the console marker is the backup
[ -n "$rc" ] || rc="$(tr -d '\r' <"$RUN/console.log" | sed -n 's/^TCPLENS_GUEST_EXIT=\([0-9]*\)$/\1/p' | tail -1)"
if ! [[ "$rc" =~ ^[0-9]+$ ]]; then
  [ "$VERBOSE" = 1 ] || show_console
  note "error: $NAME: the guest stopped without an exit status (qemu exit $qrc, ${SECS}s)"
  exit 125
fi
if [ "$rc" -eq 125 ] && [ ! -s "$RUN/rc" ]; then
  [ "$VERBOSE" = 1 ] || show_console   # the initramfs failed
fi
note "$NAME ($REL): exit $rc after ${SECS}s"
exit "$rc"
