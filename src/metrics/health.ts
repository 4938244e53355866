// tcplens_health_*: the host's TCP health as the views saw it, read at scrape
// time from the flow table's HealthAccounts (src/correlate/health.ts). Per
// side (client, server; unknown when no view told; none for resets answering
// no socket), fixed label values only; the opt-in breakdowns carry the
// operator's dimension (by) and its group (name), under the series cap.
import type { Registry } from 'prom-client';
import { MetricSet, type Labels, type Sample } from './collected';
import type { HistogramSnapshot } from './histogram';
import { FLOW_SIDES, GROUP_SERIES, HC, SIDES, type HealthAccounts, type HealthGroup } from '../correlate/health';

type Counter = (typeof HC)[keyof typeof HC];

const CONNECT_OUTCOMES: ReadonlyArray<[string, Counter]> = [
  ['established', HC.CONNECT_ESTABLISHED],
  ['refused', HC.CONNECT_REFUSED],
  ['timed_out', HC.CONNECT_TIMED_OUT],
];
const RESET_DIRECTIONS: ReadonlyArray<[string, Counter]> = [
  ['sent', HC.RESETS_SENT],
  ['received', HC.RESETS_RECEIVED],
];

/** the counters of the per-host and the breakdown metrics: name, help, counter */
const TRAFFIC: ReadonlyArray<[string, string, Counter]> = [
  ['segments_sent_total', 'segments sent (tcpi_segs_out), retransmissions included', HC.SEGS_OUT],
  ['segments_retransmitted_total', 'segments retransmitted (tcpi_total_retrans)', HC.RETRANS],
  ['bytes_sent_total', 'bytes sent and acknowledged by the peer (tcpi_bytes_acked)', HC.BYTES_SENT],
  ['bytes_received_total', 'bytes received (tcpi_bytes_received)', HC.BYTES_RECEIVED],
  ['flows_opened_total', 'flows counted for the first time (a poll, an event or the close of a flow new to tcplens)', HC.OPENED],
  ['flows_closed_total', 'flows that closed and were written to tcp_flows', HC.CLOSED],
];

type Read = ReturnType<typeof read>;
function read(h: HealthAccounts): {
  h: HealthAccounts;
  groups: HealthGroup[];
} {
  return { h, groups: h.groups };
}

const bySide =
  (k: Counter, sides = FLOW_SIDES) =>
  (r: Read): Sample[] =>
    SIDES.slice(0, sides).map((side, i) => ({ labels: { side }, value: r.h.totals[i]![k]! }));
const labelled =
  (table: ReadonlyArray<[string, Counter]>, label: string, sides: number) =>
  (r: Read): Sample[] =>
    SIDES.slice(0, sides).flatMap((side, i) => table.map(([v, k]) => ({ labels: { side, [label]: v }, value: r.h.totals[i]![k]! })));
const groupLabels = (g: HealthGroup): Labels => ({ by: g.by, name: g.name, side: SIDES[g.side] });
const perGroup =
  (k: Counter) =>
  (r: Read): Sample[] =>
    r.groups.map((g) => ({ labels: groupLabels(g), value: g.c[k]! }));
const perGroupLabelled =
  (table: ReadonlyArray<[string, Counter]>, label: string) =>
  (r: Read): Sample[] =>
    r.groups.flatMap((g) => table.map(([v, k]) => ({ labels: { ...groupLabels(g), [label]: v }, value: g.c[k]! })));
const hist =
  (f: (h: HealthAccounts) => HistogramSnapshot[]) =>
  (r: Read): Array<[HistogramSnapshot, Labels]> =>
    f(r.h).map((s, i) => [s, { side: SIDES[i]! }]);

/** Series one breakdown group exports: every group metric below, label values included. */
export const GROUP_METRIC_SERIES = TRAFFIC.length + RESET_DIRECTIONS.length + CONNECT_OUTCOMES.length;

export function healthMetrics(reg: Registry, source: () => HealthAccounts | undefined): void {
  if (GROUP_METRIC_SERIES !== GROUP_SERIES) throw new Error('health: GROUP_SERIES is not the series a group exports');
  const set = new MetricSet(reg, () => {
    const h = source();
    return h ? read(h) : undefined;
  });
  for (const [name, help, k] of TRAFFIC) set.counter(`tcplens_health_${name}`, `${help}, per side`, bySide(k));
  set
    .counter('tcplens_health_segments_received_total', 'segments received (tcpi_segs_in), per side', bySide(HC.SEGS_IN))
    .counter(
      'tcplens_health_resets_total',
      'resets sent and received, per side (side none: resets answering a packet no socket owns, e.g. a SYN to a closed port)',
      (r) => [
        ...labelled(RESET_DIRECTIONS, 'direction', FLOW_SIDES)(r),
        { labels: { side: 'none', direction: 'sent' }, value: r.h.totals[3]![HC.RESETS_SENT]! },
      ],
    )
    .counter(
      'tcplens_health_connects_total',
      'active opens by outcome: established, refused (reset by the peer in SYN_SENT), timed_out (closed in SYN_SENT otherwise: timeout, ICMP error, abort); attempts = their sum',
      (r) => CONNECT_OUTCOMES.map(([outcome, k]) => ({ labels: { outcome }, value: r.h.totals.reduce((a, t) => a + t[k]!, 0) })),
    )
    .counter('tcplens_health_accepts_total', 'passive opens completed (SYN_RECV -> ESTABLISHED)', (r) =>
      r.h.totals.reduce((a, t) => a + t[HC.ACCEPTS]!, 0),
    )
    .histogram(
      'tcplens_health_rtt_seconds',
      'smoothed RTT (tcpi_rtt) of each flow at each poll that saw it move (and of a flow no poll saw, at its close), per side',
      hist((h) => h.rtt),
    )
    .histogram(
      'tcplens_health_min_rtt_seconds',
      'minimum RTT (tcpi_min_rtt) of each flow at each poll that saw it move, per side',
      hist((h) => h.minRtt),
    )
    .gauge('tcplens_health_listeners', 'listening sockets at the latest poll of every namespace', (r) => r.h.listening().listeners)
    .gauge(
      'tcplens_health_listeners_full',
      'listeners whose accept queue was over its backlog at the latest poll (new handshakes are dropped)',
      (r) => r.h.listening().full,
    )
    .counter(
      'tcplens_health_listen_queue_full_total',
      'polls that found a listener with its accept queue over its backlog (one per listener per poll)',
      (r) => r.h.listenFullTotal,
    );
  // the opt-in breakdowns: by, name, side; GROUP_SERIES series per label set
  for (const [name, help, k] of TRAFFIC) set.counter(`tcplens_health_group_${name}`, `${help}, per breakdown group`, perGroup(k));
  set
    .counter(
      'tcplens_health_group_resets_total',
      'resets sent and received, per breakdown group',
      perGroupLabelled(RESET_DIRECTIONS, 'direction'),
    )
    .counter(
      'tcplens_health_group_connects_total',
      'active opens by outcome, per breakdown group',
      perGroupLabelled(CONNECT_OUTCOMES, 'outcome'),
    )
    .gauge('tcplens_health_group_series', 'series the breakdowns export now (capped by --health-max-series)', (r) => r.h.groupSeries())
    .counter('tcplens_health_group_overflow_total', 'flows left out of a breakdown because it was at the series cap', (r) =>
      [...r.h.overflow].map(([by, value]) => ({ labels: { by }, value })),
    );
}
