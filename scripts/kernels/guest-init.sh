#!/bin/bash
# PID 1 of the guest after switch_root (boot.sh copies this file to the run
# directory, which the initramfs mounted at /run/tcplens). The root is the host's
# own / (read-only 9p under a tmpfs overlay). Sets up what a booted system would
# have, runs the command from /run/tcplens/cmd in the caller's directory with its
# stdout/stderr going to /run/tcplens/stdout|stderr (boot.sh streams those files),
# writes its exit status to /run/tcplens/rc and powers off.
# No `set -e`: as PID 1 an early exit would panic the kernel; every step reports.
set -u
RUN=/run/tcplens
# conf: TCPLENS_GUEST_KERNEL, TCPLENS_GUEST_MODULES (the unpacked modules dir as the
# host sees it), TCPLENS_GUEST_CWD, TCPLENS_GUEST_NOFILE (soft:hard)
. "$RUN/conf"

warn() { echo "tcplens-guest: warning: $*" >&2; }
finish() {
  echo "$1" >"$RUN/rc"
  echo "TCPLENS_GUEST_EXIT=$1"
  sync
  # sysrq o powers off at once (qemu exits); busybox's poweroff -f as a fallback
  echo o >/proc/sysrq-trigger 2>/dev/null || /bin/busybox poweroff -f
  sleep 60
}

# mnt TYPE DIR [OPTIONS]: mount unless it already is (the initramfs moved /dev /proc
# /sys). Shell builtins for the checks: every exec costs ~0.1-0.2 s under TCG.
mnt() {
  local _dev mp _rest
  while read -r _dev mp _rest; do [ "$mp" = "$2" ] && return 0; done </proc/self/mounts
  [ -d "$2" ] || mkdir -p "$2" || { warn "cannot create $2"; return 0; }
  mount -t "$1" ${3:+-o "$3"} "$1" "$2" || warn "cannot mount $1 on $2"
}
mnt proc /proc
mnt sysfs /sys
mnt devtmpfs /dev
mnt devpts /dev/pts gid=5,mode=620,ptmxmode=666
mnt tmpfs /dev/shm mode=1777,nosuid,nodev
mnt mqueue /dev/mqueue
mnt cgroup2 /sys/fs/cgroup nsdelegate
mnt tracefs /sys/kernel/tracing
mnt debugfs /sys/kernel/debug
mnt bpf /sys/fs/bpf mode=0700
# devtmpfs has no /dev/fd & co (bash's <(...) needs /dev/fd)
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
[ -e /dev/stdin ] || ln -s /proc/self/fd/0 /dev/stdin
[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
[ -e /dev/stderr ] || ln -s /proc/self/fd/2 /dev/stderr

# The kernel's own modules at /lib/modules/$(uname -r), so that modprobe, and the
# kernel's autoloading through it (inet_diag, tcp_diag, veth, sch_*, nf_tables...), work.
rel="$(uname -r)"
if mkdir -p "/lib/modules/$rel" 2>/dev/null; then
  mount --bind "$TCPLENS_GUEST_MODULES" "/lib/modules/$rel" || warn "cannot bind $TCPLENS_GUEST_MODULES on /lib/modules/$rel"
else
  # read-only root (no overlayfs): point the kernel's autoloader at a modprobe that
  # looks in the unpacked tree instead
  base="${TCPLENS_GUEST_MODULES%/lib/modules/*}"
  printf '#!/bin/sh\nexec /sbin/modprobe -d %s "$@"\n' "$base" >"$RUN/modprobe"
  chmod +x "$RUN/modprobe"
  echo "$RUN/modprobe" >/proc/sys/kernel/modprobe
  warn "read-only root: no /lib/modules/$rel; modules load through $RUN/modprobe"
fi

echo "tcplens-$TCPLENS_GUEST_KERNEL" >/proc/sys/kernel/hostname
ip link set lo up || warn "cannot bring lo up"
# the host's open-files limits (the kernel's default for init is 1024/4096); the
# other limits stay the guest kernel's own (RLIMIT_MEMLOCK differs by version)
{ ulimit -Hn "${TCPLENS_GUEST_NOFILE#*:}" && ulimit -Sn "${TCPLENS_GUEST_NOFILE%:*}"; } 2>/dev/null \
  || warn "cannot set RLIMIT_NOFILE to $TCPLENS_GUEST_NOFILE"

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TCPLENS_GUEST_KERNEL
# env: the variables boot.sh passes through (CI, TCPLENS_*, --env)
. "$RUN/env"

if ! cd "$TCPLENS_GUEST_CWD"; then
  echo "tcplens-guest: error: cannot cd to $TCPLENS_GUEST_CWD" >>"$RUN/stderr"
  finish 125
fi
bash "$RUN/cmd" </dev/null >"$RUN/stdout" 2>"$RUN/stderr"
finish $?
