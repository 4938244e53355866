#!/usr/bin/env bash
# fetch.sh NAME: download Debian's kernel NAME (5.10, 6.1 or 6.12) and unpack it,
# with its modules, into ${TCPLENS_KERNEL_CACHE:-/var/cache/tcplens-kernels}/NAME/
# for boot.sh. The package is unpacked, never installed, and apt runs with a private
# configuration (its own sources, lists, cache; an empty dpkg status), so the
# machine's own apt state is left alone.
#   5.10  Debian 11  bullseye (+ bullseye-security: the newest 5.10 Debian shipped)
#   6.1   Debian 12  bookworm (+ bookworm-security)
#   6.12  Debian 12  bookworm-backports
# Prints "NAME RELEASE DEBIAN-VERSION DIR" on stdout. Quick no-op when already cached.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || die "usage: fetch.sh NAME   (NAME: ${KERNEL_NAMES[*]})"
NAME="$1"
check_name "$NAME"
DIR="$KERNEL_CACHE/$NAME"

report() { echo "$NAME $(cat "$DIR/release") $(cat "$DIR/deb-version") $DIR"; }

rel="$(cached_release "$NAME")"
if [ -n "$rel" ]; then report; exit 0; fi

ensure_pkgs apt dpkg kmod   # kmod: depmod
mkdir -p "$KERNEL_CACHE"
# One fetch per NAME at a time (boot.sh calls us too); re-check once we hold the lock.
exec 9>"$KERNEL_CACHE/.$NAME.lock"
flock 9
rel="$(cached_release "$NAME")"
if [ -n "$rel" ]; then report; exit 0; fi

# Mirror groups to try in order, one group's lines separated by '|'. deb.debian.org
# still serves bullseye (checked 2026-12); archive.debian.org is where Debian moves
# old releases (unreachable from these machines today, kept as the fallback).
KEY=/usr/share/keyrings/debian-archive-keyring.gpg
case "$NAME" in
  5.10) MIRRORS=("http://deb.debian.org/debian bullseye main|http://deb.debian.org/debian-security bullseye-security main"
                 "http://archive.debian.org/debian bullseye main|http://archive.debian.org/debian-security bullseye-security main"
                 "http://deb.debian.org/debian-security bullseye-security main") ;;
  6.1)  MIRRORS=("http://deb.debian.org/debian bookworm main|http://deb.debian.org/debian-security bookworm-security main"
                 "http://deb.debian.org/debian bookworm main") ;;
  6.12) MIRRORS=("http://deb.debian.org/debian bookworm-backports main"
                 "http://archive.debian.org/debian bookworm-backports main") ;;
esac

WORK="$KERNEL_CACHE/.$NAME.work"
rm -rf "$WORK"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/lists/partial" "$WORK/cache/archives/partial" "$WORK/deb"
# Private apt: only our sources, our lists and cache, no dpkg status (nothing counts
# as installed), no host pins. Sandbox::User=root: apt's _apt user cannot write here.
APT=(-o "Dir::Etc::SourceList=$WORK/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o "Dir::State::Lists=$WORK/lists" -o Dir::State::status=/dev/null
     -o "Dir::Cache=$WORK/cache" -o Dir::Etc::Preferences=/dev/null
     -o Dir::Etc::PreferencesParts=/dev/null -o APT::Sandbox::User=root
     -o Acquire::Check-Valid-Until=false -o Acquire::Languages=none -qq)

meta_dep=""
for group in "${MIRRORS[@]}"; do
  : >"$WORK/sources.list"
  IFS='|' read -r -a lines <<<"$group"
  for l in "${lines[@]}"; do echo "deb [signed-by=$KEY] $l" >>"$WORK/sources.list"; done
  rm -rf "$WORK/lists"; mkdir -p "$WORK/lists/partial"
  note "trying: ${group//|/ + }"
  if ! apt-get "${APT[@]}" update >"$WORK/update.log" 2>&1 || grep -q '^[WE]:' "$WORK/update.log"; then
    note "  not usable: $(grep -m1 '^[WE]:' "$WORK/update.log" || echo 'apt-get update failed')"
    continue
  fi
  # The metapackage's candidate (the newest version across the group) names the
  # image package, e.g. "Depends: linux-image-6.1.0-44-amd64 (= 6.1.192-3)".
  meta_dep="$(apt-cache "${APT[@]}" depends linux-image-amd64 2>/dev/null \
              | sed -n 's/^ *Depends: \(linux-image-[^ ]*-amd64\)$/\1/p' | head -1)"
  [ -n "$meta_dep" ] && break
  note "  no linux-image-amd64 there"
done
[ -n "$meta_dep" ] || die "no mirror offers a $NAME kernel (tried: ${MIRRORS[*]})"

# The metapackage depends on the signed image; its -unsigned twin holds the same
# kernel and modules without the Secure Boot signature dance.
PKG="$meta_dep-unsigned"
REL="${meta_dep#linux-image-}"
note "resolved $NAME: $PKG (kernel $REL)"
(cd "$WORK/deb" && apt-get "${APT[@]}" download "$PKG") || die "apt-get download $PKG failed"
DEB="$(ls "$WORK"/deb/*.deb)"
DEBVER="$(dpkg-deb -f "$DEB" Version)"

# Unpack beside the final place, depmod (the package's postinst would have), then
# move it in whole so a half-done fetch never looks cached.
STAGE="$WORK/stage"
mkdir -p "$STAGE/root"
dpkg-deb -x "$DEB" "$STAGE/root"
[ -f "$STAGE/root/boot/vmlinuz-$REL" ] || die "$PKG holds no boot/vmlinuz-$REL"
[ -d "$STAGE/root/lib/modules/$REL" ] || die "$PKG holds no lib/modules/$REL"
depmod -b "$STAGE/root" "$REL" || die "depmod -b $STAGE/root $REL failed"
echo "$DEBVER" >"$STAGE/deb-version"
echo "$REL" >"$STAGE/release"
rm -rf "$DIR"
mv "$STAGE" "$DIR"
note "cached $NAME: $REL (Debian $DEBVER, $(du -sh "$DIR" | cut -f1))"
report
