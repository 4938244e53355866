# shellcheck shell=bash
# Shared helpers for scripts/kernels/*.sh (sourced, not run).
# The kernels are Debian's own packages, unpacked (never installed) into a cache:
#   ${TCPLENS_KERNEL_CACHE:-/var/cache/tcplens-kernels}/NAME/
#     release              uname -r of the kernel (written last: its presence marks a complete fetch)
#     deb-version          the Debian package version it came from
#     root/boot/vmlinuz-*  the kernel image
#     root/lib/modules/*   its modules, depmod'ed
#     initramfs.cpio.gz    built by boot.sh (busybox + the 9p/overlay modules)
#     vmlinux              the uncompressed kernel, extracted by boot.sh (quicker PVH boot)

KERNEL_NAMES=(5.10 6.1 6.12)
KERNEL_CACHE="${TCPLENS_KERNEL_CACHE:-/var/cache/tcplens-kernels}"
SELF="$(basename "$0" .sh)"

die() { echo "kernels/$SELF: error: $*" >&2; exit 1; }
note() { echo "kernels/$SELF: $*" >&2; }

check_name() {
  local n
  for n in "${KERNEL_NAMES[@]}"; do [ "$1" = "$n" ] && return 0; done
  die "unknown kernel '$1' (expected one of: ${KERNEL_NAMES[*]})"
}

# ensure_pkgs PKG...: install the Debian packages that are missing. The machines are
# fresh (nothing survives), so every script installs what it uses; apt-get update
# only when the first attempt cannot find a package.
ensure_pkgs() {
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
  note "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
      || die "apt-get install ${missing[*]} failed"
  fi
}

# cached_release NAME: the cached kernel's release (uname -r) if the fetch completed, else nothing
cached_release() {
  local dir="$KERNEL_CACHE/$1" rel
  [ -s "$dir/release" ] || return 0
  rel="$(cat "$dir/release")"
  if [ -f "$dir/root/boot/vmlinuz-$rel" ] && [ -f "$dir/root/lib/modules/$rel/modules.dep" ]; then
    echo "$rel"
  fi
}
