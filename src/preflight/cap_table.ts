// Which capability serves which view, as the checks in checks.ts decide it:
// the table the systemd unit, the Kubernetes DaemonSet and
// docs/capabilities.md are written from (test/deploy checks that they agree,
// and that dropping each capability costs what `lost` says).
import type { CapName } from './caps';

export interface CapUse {
  cap: CapName;
  /** the views that lose something without it */
  views: readonly string[];
  /** what it is used for */
  serves: string;
  /** the preflight rows that warn when it is missing */
  rows: readonly string[];
  /** what preflight's view verdicts become without it (the rest unchanged) */
  lost: Readonly<Record<string, string>>;
}

/** The set for watching every namespace (the default, --netns all). CAP_SYS_ADMIN
 * is there for setns(), which has no finer capability; the kernel then also
 * grants what CAP_BPF and CAP_PERFMON would (bpf_capable(), perfmon_capable()),
 * so listing those too would add nothing. */
export const CAPS_ALL_NAMESPACES: readonly CapUse[] = [
  {
    cap: 'SYS_ADMIN',
    views: ['poll', 'destroy', 'events', 'samples'],
    serves:
      'setns() into other network namespaces (poll, destroy); bpf() and tp_btf/iterator attach (events, samples) in place of CAP_BPF + CAP_PERFMON; BPF run-time stats',
    rows: ['CAP_SYS_ADMIN', 'eBPF (events, samples)'],
    lost: { netns: 'own', events: 'off', samples: 'off' },
  },
  {
    cap: 'NET_ADMIN',
    views: ['poll'],
    serves: 'socket marks and class ids in inet_diag replies (INET_DIAG_MARK, INET_DIAG_CLASS_ID)',
    rows: ['CAP_NET_ADMIN'],
    lost: { poll: 'degraded' },
  },
  {
    cap: 'SYS_PTRACE',
    views: ['poll', 'destroy'],
    serves:
      "reading other users' /proc/PID/ns/net to find namespaces that only processes hold (a ptrace access check; CAP_DAC_READ_SEARCH does not pass it)",
    rows: ['CAP_SYS_PTRACE'],
    lost: {},
  },
];

/** The set for watching only tcplens's own namespace (--netns host): no setns,
 * so CAP_BPF + CAP_PERFMON replace CAP_SYS_ADMIN for the eBPF views, which see
 * every namespace anyway. */
export const CAPS_OWN_NAMESPACE: readonly CapUse[] = [
  {
    cap: 'BPF',
    views: ['events', 'samples'],
    serves: 'bpf(): loading programs, maps, the ring buffer and iterators',
    rows: ['eBPF (events, samples)'],
    lost: { events: 'off', samples: 'off' },
  },
  {
    cap: 'PERFMON',
    views: ['events', 'samples'],
    serves: 'tracing programs (tp_btf) and reading kernel memory from them',
    rows: ['eBPF (events, samples)'],
    lost: { events: 'off', samples: 'off' },
  },
  CAPS_ALL_NAMESPACES[1]!,
];

/** `CAP_SYS_ADMIN` for a table name. */
export const capName = (c: CapName): string => `CAP_${c}`;
