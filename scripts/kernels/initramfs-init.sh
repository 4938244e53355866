#!/bin/sh
# /init of the initramfs that boot.sh builds per kernel (busybox sh, PID 1).
# Loads the modules listed in /mods/order (virtio + 9p + overlay, dependencies
# first; boot.sh picked them with the kernel's modules.dep and decompressed them),
# mounts the host's root (shared read-only over 9p, tag "hostroot"), lays a tmpfs
# overlay over it so the guest can write without touching the host, mounts the
# run directory (writable 9p, tag "tcplensrun") at /run/tcplens and hands over to
# /run/tcplens/init.sh (guest-init.sh) with switch_root: under a mere chroot the
# kernel's module autoloading would not see the new root.
export PATH=/bin

fail() {
  echo "tcplens-initramfs: error: $*"
  echo "TCPLENS_GUEST_EXIT=125"
  poweroff -f
  sleep 30
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

for m in $(cat /mods/order); do
  insmod "/mods/$m.ko" || fail "insmod $m failed"
done

# msize: bigger 9p messages, fewer round trips. cache=loose: the guest caches
# what it read (the share is read-only and the host does not change it under a
# test), which makes node's thousands of stat/open calls much cheaper.
P9="trans=virtio,version=9p2000.L,msize=262144"
mkdir -p /lower /rw /newroot
mount -t 9p -o "ro,$P9,cache=loose" hostroot /lower || fail "cannot mount the host root (9p tag hostroot)"
mount -t tmpfs -o mode=0755 tmpfs /rw || fail "cannot mount a tmpfs"
mkdir -p /rw/upper /rw/work
# tcplens.overlay=0 on the kernel command line forces the fallback (to test it)
if grep -q 'tcplens.overlay=0' /proc/cmdline; then overlay=no; else overlay=yes; fi
if [ "$overlay" = yes ] && mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot; then
  echo "tcplens-initramfs: root is the host's / with a tmpfs overlay"
else
  # No overlayfs: the host's root read-only, with tmpfs where programs write.
  echo "tcplens-initramfs: overlayfs failed: read-only root with tmpfs on /tmp /var/tmp /var/log /home /root"
  mount --bind /lower /newroot || fail "cannot bind the host root"
  for d in /tmp /var/tmp /var/log /home /root; do
    mount -t tmpfs -o mode=0755 tmpfs "/newroot$d" || fail "cannot mount a tmpfs on $d"
  done
fi

# A fresh /run (the host's /run holds its own netns mounts, pid files...), with the
# run directory in it: the command, its environment, and where results go.
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /newroot/run || fail "cannot mount a tmpfs on /run"
mkdir -p /newroot/run/tcplens
mount -t 9p -o "$P9" tcplensrun /newroot/run/tcplens || fail "cannot mount the run directory (9p tag tcplensrun)"
[ -f /newroot/run/tcplens/init.sh ] || fail "no init.sh in the run directory"
[ -x /newroot/bin/bash ] || fail "no /bin/bash in the host root"

for d in dev proc sys; do mount --move "/$d" "/newroot/$d" || fail "cannot move /$d"; done
exec switch_root /newroot /bin/bash /run/tcplens/init.sh
fail "switch_root failed"
