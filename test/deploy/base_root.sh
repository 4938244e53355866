#!/usr/bin/env bash
# Prints the path of a fresh Debian 12 root (debootstrap minbase) holding what
# the tcplens package depends on beyond minbase, and this machine's own Node
# (repacked with dpkg-repack: only Debian and npm are reachable, and Debian 12's
# nodejs is 18). test/deploy/deb.test.ts installs the package into an overlay
# over it, so the root itself stays untouched.
#
# Slow once (~1.5 min: debootstrap, repack), then cached under
# $TCPLENS_DEB_ROOT_CACHE (/var/cache/tcplens-deb-root), keyed by everything
# it is made of (recipe, suite, mirror, packages, Node and debootstrap
# versions) and rebuilt after 30 days (security updates). Other keys are
# stale and removed. Needs root.
set -euo pipefail

cache="${TCPLENS_DEB_ROOT_CACHE:-/var/cache/tcplens-deb-root}"
suite=bookworm
mirror="${TCPLENS_DEB_MIRROR:-http://deb.debian.org/debian}"
# nodejs's own Depends (python3, ca-certificates) and tcplens's (adduser,
# libelf1) that minbase lacks; the package test fails on any it forgot
include=ca-certificates,python3,adduser,libelf1
recipe=1
max_age_days=30

die() { echo "base_root: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot)"
for t in debootstrap dpkg-repack chroot flock; do command -v "$t" >/dev/null || die "$t not found (bash scripts/bootstrap.sh)"; done
node_ver=$(dpkg-query -W -f='${Version}' nodejs 2>/dev/null) || die "Node is not installed as the Debian package nodejs here: nothing to put in the root"

key=$(printf '%s\n' "$recipe" "$suite" "$mirror" "$include" "$node_ver" \
  "$(dpkg-query -W -f='${Version}' debootstrap)" | sha256sum | cut -c1-16)
dir="$cache/$key"
fresh() { [ -f "$dir/ok" ] && [ -n "$(find "$dir/ok" -mtime -"$max_age_days")" ]; }

mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9
if fresh; then echo "$dir/root"; exit 0; fi

for old in "$cache"/*/; do [ "$old" = "$dir/" ] || rm -rf "$old"; done
rm -rf "$dir"
mkdir -p "$dir"
echo "base_root: debootstrap $suite ($include) into $dir/root" >&2
debootstrap --variant=minbase --include="$include" "$suite" "$dir/root" "$mirror" > "$dir/debootstrap.log" 2>&1 \
  || die "debootstrap failed: $(tail -3 "$dir/debootstrap.log")"
echo "base_root: nodejs $node_ver, repacked from this machine" >&2
(cd "$dir" && dpkg-repack --deb-option=-Znone nodejs > repack.log 2>&1) || die "dpkg-repack nodejs failed: $(tail -3 "$dir/repack.log")"
mv "$dir"/nodejs_*.deb "$dir/root/tmp/nodejs.deb"
chroot "$dir/root" dpkg -i /tmp/nodejs.deb > "$dir/nodejs.log" 2>&1 || die "dpkg -i nodejs in the root failed: $(tail -3 "$dir/nodejs.log")"
rm -f "$dir/root/tmp/nodejs.deb"
chroot "$dir/root" apt-get clean
touch "$dir/ok"
echo "$dir/root"
