// Facts -> check rows and per-view verdicts. Pure: everything measured is in
// Facts, so the wording and the decisions can be read in one place.
import { CAP, hasCap, missingCaps } from './caps';
import type { Facts } from './facts';
import { atLeast, BTF_VMLINUX } from './kernel';
import { formatBytes, formatCount } from './limits';
import { BPFFS_PATH } from './mounts';
import { INET_DIAG_CLASS_ID, INET_DIAG_MARK, probeError } from './probes';
import { isFallback, needsOf, viewStateOf, type BpfView } from '../sources/parts';
import type { ViewPart } from '../native/addon';

export type Status = 'ok' | 'warn' | 'fatal';

/** `for` starts with the state ("missing: ...", "mounted at ...") so that
 * `${check} ${for}` reads as one sentence in logs. */
export interface CheckRow {
  check: string;
  status: Status;
  for: string;
  fix: string;
}

export type ViewState = 'ok' | 'degraded' | 'off';

export interface Views {
  poll: ViewState;
  destroy: ViewState;
  events: ViewState;
  samples: ViewState;
  netns: 'all' | 'own';
}

export interface CheckOptions {
  /** the caller watches namespaces other than its own (default true) */
  netnsAll?: boolean;
}

const row = (check: string, status: Status, what: string, fix = ''): CheckRow => ({ check, status, for: what, fix });
const bit = (mask: number, n: number): boolean => ((mask >>> n) & 1) === 1;

function kernelRow(f: Facts): CheckRow {
  const k = f.kernel;
  if (atLeast(k, 5, 8)) return row('kernel', 'ok', `${k.release}: CAP_BPF, BPF ring buffer and tp_btf available`);
  return row(
    'kernel',
    'warn',
    `${k.release}: older than 5.8: no CAP_BPF and no BPF ring buffer, so events and samples may not load`,
    'run on Linux 5.8 or later for the eBPF views',
  );
}

function addonRow(f: Facts): CheckRow {
  const err = f.probes.addonError;
  if (err === null) return row('native addon', 'ok', 'loaded: every kernel view goes through it');
  return row('native addon', 'fatal', `not loadable: no view can run (${err})`, 'npm run build');
}

function diagRow(f: Facts): CheckRow | null {
  const d = f.probes.diag;
  if (!d) return null; // no addon: its own fatal row says so
  if (d.ok) return row('inet_diag dump', 'ok', 'works: poll view (a one-socket lookup of our own listener was answered)');
  // ENOENT: the kernel has no handler for TCP sock_diag requests (modules not
  // loaded and not autoloadable here, or not built)
  if (d.code === 'ENOENT') {
    return row(
      'inet_diag dump',
      'fatal',
      `fails with ${probeError(d)}: the kernel has no inet_diag handler for TCP, tcplens cannot run`,
      'modprobe inet_diag tcp_diag (and inet_diag in /etc/modules-load.d/); or build the kernel with CONFIG_INET_DIAG=y/m and CONFIG_INET_TCP_DIAG=y/m',
    );
  }
  return row(
    'inet_diag dump',
    'fatal',
    `fails with ${probeError(d)}: no poll view, tcplens cannot run`,
    'allow AF_NETLINK/NETLINK_SOCK_DIAG sockets (seccomp profile, LSM policy); kernel needs CONFIG_INET_DIAG + CONFIG_INET_TCP_DIAG',
  );
}

const NET_ADMIN_FIX = 'grant CAP_NET_ADMIN (setcap cap_net_admin+ep, systemd AmbientCapabilities=, docker --cap-add NET_ADMIN)';

function netAdminRow(f: Facts): CheckRow {
  const cap = hasCap(f.capEff, CAP.NET_ADMIN);
  const d = f.probes.diag;
  if (!d || !d.ok) {
    // No reply to read the attributes from: the capability bit is all we have.
    return cap
      ? row('CAP_NET_ADMIN', 'ok', 'present: socket marks in the poll view (not probed)')
      : row('CAP_NET_ADMIN', 'warn', 'missing: socket marks come back empty (not probed)', NET_ADMIN_FIX);
  }
  const mark = bit(d.attrs, INET_DIAG_MARK);
  if (mark) return row('CAP_NET_ADMIN', 'ok', 'present: socket marks (INET_DIAG_MARK) come back in the poll view');
  // The kernel sends INET_DIAG_MARK only to readers with CAP_NET_ADMIN; say
  // exactly which attributes the probe's reply lacked.
  const lost = bit(d.attrs, INET_DIAG_CLASS_ID) ? 'socket marks come back empty' : 'socket marks and class ids come back empty';
  if (!cap) return row('CAP_NET_ADMIN', 'warn', `missing: the dump still works but ${lost}`, NET_ADMIN_FIX);
  return row(
    'CAP_NET_ADMIN',
    'warn',
    `present, yet ${lost}: the kernel did not honour it (a user namespace that does not own the network namespace?)`,
    'run tcplens in the user namespace that owns the watched network namespace',
  );
}

function sysAdminRow(f: Facts, netnsAll: boolean): CheckRow {
  const s = f.probes.setns;
  const cap = hasCap(f.capEff, CAP.SYS_ADMIN);
  const entered = s ? s.ok : cap;
  const how = s ? (s.ok ? 'setns works' : `setns fails with ${s.code ?? s.errno}`) : 'not probed';
  if (entered) return row('CAP_SYS_ADMIN', 'ok', `${cap ? 'present' : 'missing'}, ${how}: other network namespaces can be entered`);
  if (!netnsAll) return row('CAP_SYS_ADMIN', 'ok', `${cap ? 'present' : 'missing'}, ${how}: not needed, only our own namespace is watched`);
  return row(
    'CAP_SYS_ADMIN',
    'warn',
    `${cap ? 'present' : 'missing'}, ${how}: only our own network namespace can be polled (--netns host still works)`,
    'grant CAP_SYS_ADMIN, or run one tcplens inside each namespace with --netns host',
  );
}

function ptraceRow(f: Facts, netnsAll: boolean): CheckRow {
  // /proc/PID/ns/net is guarded by the ptrace access check, which a process
  // with fewer permitted capabilities than its target fails even as uid 0.
  const now = `${f.unreadableProcNetns} /proc/PID/ns/net unreadable now`;
  if (hasCap(f.capEff, CAP.SYS_PTRACE)) return row('CAP_SYS_PTRACE', 'ok', `present: every process's namespace can be found (${now})`);
  if (!netnsAll) return row('CAP_SYS_PTRACE', 'ok', `missing: not needed, only our own namespace is watched (${now})`);
  // CAP_DAC_READ_SEARCH does not stand in for it: the link is guarded by the
  // ptrace check, not by file permissions (checked: 66 of 67 unreadable with it).
  return row(
    'CAP_SYS_PTRACE',
    'warn',
    `missing: other processes' /proc/PID/ns/net cannot be read (${now}), so namespaces only visible through ` +
      'processes are missed (named ones under /run/netns still work)',
    'grant CAP_SYS_PTRACE, or name namespaces with --netns NAME',
  );
}

function destroyRow(f: Facts): CheckRow | null {
  const d = f.probes.destroy;
  if (!d) return null;
  if (d.ok)
    return row(
      'destroy multicast',
      'ok',
      'joins SKNLGRP_INET{,6}_TCP_DESTROY and got the message of a socket it closed: final tcp_info of every closed socket',
    );
  if (d.code === 'ENOMSG')
    return row(
      'destroy multicast',
      'warn',
      'joins SKNLGRP_INET{,6}_TCP_DESTROY, but the kernel sent no message for a socket closed here within 3 s: ' +
        'destroy view off, sockets born and dead between polls are missed unless the events view sees them',
      'a kernel that broadcasts destroyed sockets (`ss -E` shows them); meanwhile keep the events view on or poll at a shorter --interval',
    );
  return row(
    'destroy multicast',
    'warn',
    `join fails with ${probeError(d)}: destroy view off, sockets born and dead between polls are missed`,
    d.code === 'EACCES' || d.code === 'EPERM'
      ? 'run as uid 0 or grant CAP_NET_ADMIN; allow AF_NETLINK in seccomp/LSM policy; meanwhile poll at a shorter --interval'
      : 'check the kernel for CONFIG_INET_DIAG; meanwhile poll at a shorter --interval',
  );
}

function bpfRow(f: Facts): CheckRow | null {
  const b = f.probes.bpf;
  if (!b) return null;
  const capsOk = hasCap(f.capEff, CAP.SYS_ADMIN) || (atLeast(f.kernel, 5, 8) && hasCap(f.capEff, CAP.BPF) && hasCap(f.capEff, CAP.PERFMON));
  const missing: string[] = [];
  const fixes: string[] = [];
  if (!capsOk) {
    const split = atLeast(f.kernel, 5, 8) ? missingCaps(f.capEff, ['BPF', 'PERFMON']) : [];
    missing.push(split.length ? `missing ${split.join('+')} (or CAP_SYS_ADMIN)` : 'missing CAP_SYS_ADMIN (no CAP_BPF before 5.8)');
    fixes.push('grant CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN)');
  }
  if (!b.ok) missing.push(`a test program fails to load with ${b.code ?? b.errno}`);
  if (!f.btf) {
    missing.push(`no BTF at ${BTF_VMLINUX}`);
    fixes.push('use a kernel built with CONFIG_DEBUG_INFO_BTF=y');
  }
  if (b.ok && f.btf) {
    // The probe is the truth: a program loaded, whatever the bits say.
    return row('eBPF (events, samples)', 'ok', 'a test program loads and BTF is there: events and samples views');
  }
  if (b.ok && f.mounts.tracefs) {
    return row(
      'eBPF (events, samples)',
      'warn',
      `${missing.join('; ')}: samples view off, events fall back to classic tracepoints; poll + destroy still work`,
      fixes.join('; '),
    );
  }
  return row(
    'eBPF (events, samples)',
    'warn',
    `${missing.join('; ')}: events and samples views off; poll + destroy still work`,
    fixes.join('; ') || 'check the kernel log and seccomp/LSM policy for bpf(2)',
  );
}

// The rows below refine an eBPF that loads; when it does not, the eBPF row
// above is the one warning, and they are left out.

const EVENTS_FIX = 'a kernel with BTF and tp_btf (5.5+); or mount -t tracefs nodev /sys/kernel/tracing for its classic-tracepoint variant';
const SAMPLES_FIX = 'a kernel with BTF and task iterators (5.8+)';

/** What to do about a part the kernel refused, from the reasons it gave. */
function partFix(view: BpfView, p: ViewPart, f: Facts): string {
  if (/Operation not permitted|EPERM/.test(p.why) && !/refused \(Permission denied\)/.test(p.why)) {
    return 'grant CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN)';
  }
  if (view === 'events') return f.mounts.tracefs ? 'a kernel with BTF and tp_btf (5.5+)' : EVENTS_FIX;
  return SAMPLES_FIX;
}

/** One row per part of an eBPF view: the variant it runs (and what that
 * gives up), or off with the kernel's own words. */
function partRows(f: Facts, view: BpfView): CheckRow[] {
  const probe = f.probes[view];
  if (!f.probes.bpf?.ok || !probe) return [];
  return probe.parts.map((p) => {
    const name = `${view}: ${p.part}`;
    if (!p.up) return row(name, 'warn', `off: ${p.why}`, partFix(view, p, f));
    const runs = `runs as ${p.program} (${needsOf(view, p.program)})`;
    if (!isFallback(view, p)) return row(name, 'ok', runs);
    // a classic tracepoint has no BTF: its cookies are 0 until inet_diag makes them
    const status: Status = p.program.startsWith('tp_') ? 'warn' : 'ok';
    return row(name, status, `${runs}; the kernel refused the better variants: ${p.why}`, status === 'warn' ? partFix(view, p, f) : '');
  });
}

/** The iterator poll is opt-in (--poll-via iter): off is not a warning, the
 * poll then runs on inet_diag; the row says which variant would run, or why none. */
function iterRow(f: Facts): CheckRow | null {
  const p = f.probes.iter?.parts[0];
  if (!f.probes.bpf?.ok || !p) return null;
  if (!p.up) return row('poll via iter', 'ok', `off (--poll-via iter polls with inet_diag): ${p.why}`);
  const fallback = isFallback('iter', p) ? `; the kernel refused the better variants: ${p.why}` : '';
  return row('poll via iter', 'ok', `--poll-via iter runs as ${p.program} (${needsOf('iter', p.program)})${fallback}`);
}

/** The host pass is opt-in too (--poll-via host): it needs both parts (the
 * host pass, and the iter/tcp walk for sockets no process holds); off is not a
 * warning, the poll then runs per namespace on inet_diag. */
function hostRow(f: Facts): CheckRow | null {
  const parts = f.probes.iter?.parts ?? [];
  const h = parts.find((p) => p.part === 'host');
  const s = parts.find((p) => p.part === 'sockets');
  if (!f.probes.bpf?.ok || !h) return null;
  if (!h.up) return row('poll via host', 'ok', `off (--poll-via host polls each namespace with inet_diag): ${h.why}`);
  if (!s?.up)
    return row(
      'poll via host',
      'ok',
      `off (--poll-via host polls each namespace with inet_diag): the sockets part is off: ${s?.why ?? ''}`,
    );
  const fallback = isFallback('iter', h) ? `; the kernel refused the better variants: ${h.why}` : '';
  return row('poll via host', 'ok', `--poll-via host runs as ${h.program} (${needsOf('iter', h.program)}) and ${s.program}${fallback}`);
}

function bpfStatsRow(f: Facts): CheckRow | null {
  if (!f.probes.bpf?.ok || f.bpfStats === undefined) return null;
  if (f.bpfStats) return row('bpf_stats', 'ok', "kernel.bpf_stats_enabled=1: the eBPF views' kernel CPU is measured per program");
  return row(
    'bpf_stats',
    'warn',
    `${f.bpfStats === null ? 'unknown' : 'off'}: the eBPF views' kernel CPU cannot be measured (run time per program)`,
    'sysctl -w kernel.bpf_stats_enabled=1 (costs ~20 ns per program run)',
  );
}

/** eBPF cannot load at all: its one warning says so, and the rows that only
 * matter to eBPF (tracefs, bpffs) stay out of the way. */
const bpfOff = (f: Facts): boolean => f.probes.bpf !== null && !f.probes.bpf.ok;

function tracefsRow(f: Facts): CheckRow | null {
  if (bpfOff(f)) return null;
  if (f.mounts.tracefs) return row('tracefs', 'ok', `mounted at ${f.mounts.tracefs}: classic-tracepoint fallback for events`);
  return row(
    'tracefs',
    'warn',
    'not mounted: the classic-tracepoint fallback of the events view fails (tp_btf does not need it)',
    'mount -t tracefs nodev /sys/kernel/tracing',
  );
}

function bpffsRow(f: Facts): CheckRow | null {
  if (bpfOff(f)) return null;
  if (f.mounts.bpffs) return row('bpffs', 'ok', `mounted at ${BPFFS_PATH}: eBPF objects can be pinned`);
  return row(
    'bpffs',
    'warn',
    `not mounted at ${BPFFS_PATH}: eBPF objects cannot be pinned (only pinning needs it)`,
    `mount -t bpf bpf ${BPFFS_PATH}`,
  );
}

const MEMLOCK_MIN = 64 * 1024 * 1024;
const NOFILE_MIN = 1024;
/** Before 5.11 BPF maps count against RLIMIT_MEMLOCK; since, the memory cgroup. */
const memlockEnough = (f: Facts): boolean => atLeast(f.kernel, 5, 11) || (f.limits.memlock?.soft ?? 0) >= MEMLOCK_MIN;
const nofileEnough = (f: Facts): boolean => (f.limits.nofile?.soft ?? 0) >= NOFILE_MIN;

function sysResourceRow(f: Facts): CheckRow {
  if (hasCap(f.capEff, CAP.SYS_RESOURCE)) return row('CAP_SYS_RESOURCE', 'ok', 'present: RLIMIT_NOFILE and RLIMIT_MEMLOCK can be raised');
  const hard = [
    f.limits.nofile ? `nofile hard ${formatCount(f.limits.nofile.hard)}` : null,
    f.limits.memlock ? `memlock hard ${formatBytes(f.limits.memlock.hard)}` : null,
  ]
    .filter(Boolean)
    .join(', ');
  // Raising limits only matters when they are short: a service manager that
  // sets them (systemd LimitNOFILE=) makes the capability unnecessary.
  if (nofileEnough(f) && memlockEnough(f)) {
    return row('CAP_SYS_RESOURCE', 'ok', `missing, not needed: the limits are already enough for tcplens (${hard})`);
  }
  return row(
    'CAP_SYS_RESOURCE',
    'warn',
    `missing: RLIMIT_NOFILE and RLIMIT_MEMLOCK cannot be raised above their hard limits (${hard})`,
    'grant CAP_SYS_RESOURCE, or set the hard limits before start (systemd LimitNOFILE=, docker --ulimit)',
  );
}

function memlockRow(f: Facts): CheckRow {
  const m = f.limits.memlock;
  if (!m) return row('RLIMIT_MEMLOCK', 'warn', 'unknown: /proc/self/limits has no locked-memory line', '');
  const v = `${formatBytes(m.soft)} soft / ${formatBytes(m.hard)} hard`;
  // Since 5.11 BPF maps are charged to the memory cgroup, not to memlock.
  if (atLeast(f.kernel, 5, 11)) return row('RLIMIT_MEMLOCK', 'ok', `${v}: no limit for eBPF since 5.11 (BPF memory is memcg-accounted)`);
  if (m.soft >= MEMLOCK_MIN) return row('RLIMIT_MEMLOCK', 'ok', `${v}: enough for eBPF maps and ring buffers (kernel before 5.11)`);
  return row(
    'RLIMIT_MEMLOCK',
    'warn',
    `${v}: before 5.11 eBPF maps count against it, so maps and ring buffers may fail with EPERM`,
    'ulimit -l unlimited (systemd LimitMEMLOCK=infinity, docker --ulimit memlock=-1)',
  );
}

function nofileRow(f: Facts): CheckRow {
  const n = f.limits.nofile;
  if (!n) return row('RLIMIT_NOFILE', 'warn', 'unknown: /proc/self/limits has no open-files line', '');
  const v = `${formatCount(n.soft)} soft / ${formatCount(n.hard)} hard`;
  if (nofileEnough(f)) return row('RLIMIT_NOFILE', 'ok', `${v}: one netlink socket per namespace, plus eBPF fds`);
  const fix =
    n.hard > n.soft
      ? `raise the soft limit (ulimit -n ${formatCount(Math.min(n.hard, 65536))})`
      : 'raise the hard limit (systemd LimitNOFILE=65536, docker --ulimit nofile=65536)';
  return row('RLIMIT_NOFILE', 'warn', `${v}: below ${NOFILE_MIN}, too few for one netlink socket per namespace plus eBPF fds`, fix);
}

export function decideChecks(f: Facts, opts: CheckOptions = {}): CheckRow[] {
  const netnsAll = opts.netnsAll ?? true;
  const rows: (CheckRow | null)[] = [
    addonRow(f),
    kernelRow(f),
    diagRow(f),
    netAdminRow(f),
    sysAdminRow(f, netnsAll),
    ptraceRow(f, netnsAll),
    destroyRow(f),
    bpfRow(f),
    ...partRows(f, 'events'),
    ...partRows(f, 'samples'),
    iterRow(f),
    hostRow(f),
    bpfStatsRow(f),
    tracefsRow(f),
    bpffsRow(f),
    sysResourceRow(f),
    memlockRow(f),
    nofileRow(f),
  ];
  return rows.filter((r): r is CheckRow => r !== null);
}

export function decideViews(f: Facts): Views {
  const p = f.probes;
  const pollOk = !!p.diag?.ok;
  return {
    poll: !pollOk ? 'off' : bit(p.diag!.attrs, INET_DIAG_MARK) ? 'ok' : 'degraded',
    destroy: p.destroy?.ok ? 'ok' : 'off',
    // what loading the views' own programs gave, part by part
    events: p.events ? viewStateOf(p.events.parts) : 'off',
    samples: p.samples ? viewStateOf(p.samples.parts) : 'off',
    netns: p.setns?.ok ? 'all' : 'own',
  };
}

/** Each part of the eBPF views as the preflight's load left it. */
export function decideParts(f: Facts): Record<BpfView, ViewPart[]> {
  return { events: f.probes.events?.parts ?? [], samples: f.probes.samples?.parts ?? [], iter: f.probes.iter?.parts ?? [] };
}
