// The tcplens registry: every metric is `tcplens_*`, read at scrape time
// from the stages (see stages.ts). Per stage: what came in, what went out,
// errors and drops, so a mismatch points at the stage that lost something.
import { Registry, collectDefaultMetrics } from 'prom-client';
import { MetricSet, type Sample } from './collected';
import {
  FLOW_REPORT_OUTCOMES,
  SINK_OUTCOMES,
  SINK_STATES,
  type NamespaceCounters,
  type NetlinkCounters,
  type PipelineStages,
} from './stages';
import { BpfProgStats } from './bpf_stats';
import { DUMP_REASONS } from '../sources/poll_lookup';
import { healthMetrics } from './health';
import { targetedMetrics } from './targeted_metrics';
import { adaptiveMetrics } from './adaptive_metrics';
import { loopLagMetrics } from './loop_lag';
import { LEVELS, type Logger } from '../util/log';

export interface RegistryOptions {
  version: string;
  /** BPF program run time/count: off unless asked (enabling stats costs a few ns per program run) */
  bpfStats?: BpfProgStats;
  /** default process/Node metrics (CPU, memory, fds, event-loop lag, GC) */
  defaults?: boolean;
  /** lines written and suppressed by the rate limit */
  logger?: Logger;
}

const NETLINK_ERRORS: ReadonlyArray<[keyof NetlinkCounters, string]> = [
  ['parseErrors', 'parse'],
  ['enobufs', 'enobufs'],
  ['dropped', 'dropped'],
  ['truncated', 'truncated'],
  ['nlErrors', 'netlink'],
  ['foreign', 'foreign'],
  ['dictOverflow', 'dict_overflow'],
];
const NETLINK_TOLERATED: ReadonlyArray<[keyof NetlinkCounters, string]> = [
  ['dumpIntr', 'dump_intr'],
  ['eintr', 'eintr'],
  ['shortInfo', 'short_info'],
];

type View = 'poll' | 'destroy';
type NetlinkOf = { netlink: NetlinkCounters; namespaces: NamespaceCounters };

function netlinkMetrics(reg: Registry, stages: PipelineStages): void {
  const read = (): Array<[View, NetlinkOf]> => {
    const out: Array<[View, NetlinkOf]> = [];
    if (stages.poll) out.push(['poll', stages.poll.stats()]);
    if (stages.destroy) out.push(['destroy', stages.destroy.stats()]);
    return out;
  };
  const per =
    (f: (s: NetlinkOf) => number) =>
    (all: Array<[View, NetlinkOf]>): Sample[] =>
      all.map(([view, s]) => ({ labels: { view }, value: f(s) }));
  const kinds =
    (table: ReadonlyArray<[keyof NetlinkCounters, string]>) =>
    (all: Array<[View, NetlinkOf]>): Sample[] =>
      all.flatMap(([view, s]) => table.map(([k, kind]) => ({ labels: { view, kind }, value: s.netlink[k] })));
  new MetricSet(reg, read)
    .counter(
      'tcplens_netlink_requests_total',
      'inet_diag dump requests sent',
      per((s) => s.netlink.requests),
    )
    .counter(
      'tcplens_netlink_recvs_total',
      'netlink recvmsg calls that returned data',
      per((s) => s.netlink.recvs),
    )
    .counter(
      'tcplens_netlink_messages_total',
      'netlink messages received (input)',
      per((s) => s.netlink.messages),
    )
    .counter(
      'tcplens_netlink_bytes_total',
      'netlink bytes received',
      per((s) => s.netlink.bytes),
    )
    .counter(
      'tcplens_netlink_rows_total',
      'sockets parsed into column batches (output)',
      per((s) => s.netlink.rows),
    )
    .counter(
      'tcplens_netlink_errors_total',
      'netlink messages lost or skipped, by kind (dropped: messages a full receive queue refused; enobufs: overruns reported, each of one or more messages; parse: malformed)',
      kinds(NETLINK_ERRORS),
    )
    .counter(
      'tcplens_netlink_tolerated_total',
      'netlink anomalies handled without loss (interrupted dumps retried, EINTR, short tcp_info zero-filled)',
      kinds(NETLINK_TOLERATED),
    )
    .gauge(
      'tcplens_netns_tracked',
      'network namespaces watched now',
      per((s) => s.namespaces.tracked),
    )
    .counter(
      'tcplens_netns_added_total',
      'network namespaces that appeared',
      per((s) => s.namespaces.added),
    )
    .counter(
      'tcplens_netns_removed_total',
      'network namespaces that vanished',
      per((s) => s.namespaces.removed),
    )
    .gauge(
      'tcplens_netns_failing',
      'namespaces that failed in the latest cycle (cannot enter, dump error)',
      per((s) => s.namespaces.failing),
    )
    .counter(
      'tcplens_netns_errors_total',
      'namespace-cycles that failed',
      per((s) => s.namespaces.errors),
    )
    .gauge(
      'tcplens_netns_unreadable',
      'process namespace entries that could not be read at the last discovery',
      per((s) => s.namespaces.unreadable),
    );
}

function pollMetrics(reg: Registry, stages: PipelineStages): void {
  new MetricSet(reg, () => stages.poll?.stats())
    .gauge(
      'tcplens_poll_interval_seconds',
      "poll interval now: --interval, or the adaptive poll's choice (--coverage-target)",
      (s) => s.intervalSeconds,
    )
    .counter('tcplens_poll_cycles_total', 'completed poll cycles', (s) => s.cycles)
    .counter('tcplens_poll_overruns_total', 'poll cycles longer than the interval', (s) => s.overruns)
    .gauge('tcplens_poll_last_cycle_timestamp_seconds', 'end of the latest poll cycle, unix seconds', (s) =>
      s.lastCycleEndMs === null ? [] : s.lastCycleEndMs / 1000,
    )
    .histogram('tcplens_poll_cycle_duration_seconds', 'poll cycle wall time over every namespace', (s) => s.cycleSeconds)
    .counter('tcplens_poll_sockets_total', 'sockets handed on by the poll view', (s) => s.sockets)
    .gauge(
      'tcplens_poll_sockets',
      "sockets seen by the latest poll cycle (listeners: in the listen view's cycles, --listen-interval)",
      (s) => s.lastSockets,
    )
    .counter('tcplens_poll_batches_total', 'column batches handed on by the poll view', (s) => s.batches)
    .counter('tcplens_poll_iter_walked_total', '--poll-via iter: sockets the iter/tcp program walked', (s) => s.iter?.walked ?? 0)
    .counter(
      'tcplens_poll_iter_unchanged_total',
      '--poll-via iter: sockets skipped as unchanged since they were last emitted',
      (s) => s.iter?.unchanged ?? 0,
    )
    .counter(
      'tcplens_poll_namespace_cycles_total',
      "namespace-cycles of the poll by mode: 'lookup' (exact-match requests for the known sockets) or 'dump', with why it was a dump",
      (s) =>
        s.lookup
          ? ['lookup', ...DUMP_REASONS].map((m) => ({
              labels: m === 'lookup' ? { mode: 'lookup', reason: '' } : { mode: 'dump', reason: m },
              value: s.lookup!.modes[m] ?? 0,
            }))
          : [],
    )
    .counter(
      'tcplens_poll_lookups_total',
      'exact-match requests of the poll, by outcome (answered: a live socket; gone: no such socket any more)',
      (s) =>
        s.lookup
          ? [
              { labels: { outcome: 'answered' }, value: s.lookup.answered },
              { labels: { outcome: 'gone' }, value: s.lookup.gone },
            ]
          : [],
    )
    .counter('tcplens_poll_iter_lost_total', '--poll-via iter: socket records lost, by reason', (s) =>
      (['malformed', 'writeErrors', 'dropped'] as const).map((k) => ({
        labels: { reason: k === 'writeErrors' ? 'write' : k },
        value: s.iter?.[k] ?? 0,
      })),
    );
}

function destroyMetrics(reg: Registry, stages: PipelineStages): void {
  new MetricSet(reg, () => stages.destroy?.stats())
    .counter('tcplens_destroy_drains_total', 'destroy-queue drains', (s) => s.drains)
    .counter('tcplens_destroy_rows_total', 'destroyed sockets handed on', (s) => s.rows)
    .counter('tcplens_destroy_batches_total', 'destroy column batches handed on', (s) => s.batches)
    .counter('tcplens_destroy_errors_total', 'destroy socket failures while draining', (s) => s.errors);
}

function eventsMetrics(reg: Registry, stages: PipelineStages): void {
  const perProg =
    (k: 'read' | 'lost') =>
    (s: { programs: Record<string, { read: number; lost: number }> }): Sample[] =>
      Object.entries(s.programs).map(([program, c]) => ({ labels: { program }, value: c[k] }));
  new MetricSet(reg, () => stages.events?.stats())
    .counter('tcplens_events_read_total', 'ring-buffer records read, per BPF program', perProg('read'))
    .counter('tcplens_events_lost_total', 'ring-buffer reserve failures (events lost in the kernel), per BPF program', perProg('lost'))
    .counter('tcplens_events_bytes_total', 'ring-buffer bytes consumed', (s) => s.bytes)
    .counter('tcplens_events_polls_total', 'drains of the events view (each takes what the ring or its reader holds)', (s) => s.polls)
    .counter('tcplens_events_errors_total', 'malformed ring-buffer records, skipped', (s) => s.errors)
    .counter('tcplens_events_rows_total', 'event rows handed on to correlation', (s) => s.rows)
    .counter(
      'tcplens_events_reader_wakeups_total',
      'wakeups of the native ring reader, by reason (data: read past the threshold; timer: read after --drain-interval; none: read nothing)',
      (s) =>
        s.reader
          ? [
              { labels: { reason: 'data' }, value: s.reader.dataWakeups },
              { labels: { reason: 'timer' }, value: s.reader.timerWakeups },
              { labels: { reason: 'none' }, value: Math.max(0, s.reader.wakeups - s.reader.dataWakeups - s.reader.timerWakeups) },
            ]
          : [],
    )
    .counter('tcplens_events_reader_stalls_total', 'times the ring reader found its queue full and paused', (s) => s.reader?.stalls ?? 0)
    .counter(
      'tcplens_events_reader_cpu_seconds_total',
      'CPU time the native ring reader thread has used',
      (s) => (s.reader?.cpuNs ?? 0) / 1e9,
    )
    .gauge('tcplens_events_reader_queued_rows', 'event rows the ring reader holds for the next drain', (s) => s.reader?.queuedRows ?? 0);
}

function samplesMetrics(reg: Registry, stages: PipelineStages): void {
  new MetricSet(reg, () => stages.samples?.stats())
    .counter('tcplens_samples_iterations_total', 'task-iterator runs', (s) => s.iterations)
    .counter('tcplens_samples_iteration_seconds_total', 'seconds spent in task-iterator runs', (s) => s.seconds)
    .counter('tcplens_samples_records_total', 'task records read', (s) => s.records)
    .counter('tcplens_samples_errors_total', 'failed iterator runs or malformed records', (s) => s.errors)
    .counter('tcplens_samples_dropped_total', 'task records dropped', (s) => s.dropped);
}

function flowsMetrics(reg: Registry, stages: PipelineStages): void {
  new MetricSet(reg, () => stages.flows?.stats())
    .gauge('tcplens_flows_open', 'flows in the flow table', (s) => s.open)
    .counter('tcplens_flows_opened_total', 'flows that entered the flow table', (s) => s.opened)
    .counter('tcplens_flows_closed_total', 'flows finished by a close', (s) => s.closed)
    .counter('tcplens_flows_evicted_total', 'flows pushed out by the table cap before they closed', (s) => s.evicted)
    .counter(
      'tcplens_flows_grace_cut_total',
      'closed flows written before their close grace ended, because too many closed flows waited (a later report of one is absorbed as late)',
      (s) => s.graceCut ?? 0,
    )
    .counter('tcplens_flows_by_views_total', 'finished flows by the combination of views that saw them', (s) =>
      Object.entries(s.byViews).map(([views, value]) => ({ labels: { views }, value })),
    )
    .counter(
      'tcplens_flows_reports_total',
      'view reports that did not simply update a flow (unkeyed = dropped: no cookie, no 4-tuple; late = absorbed after the flow was written)',
      (s) => FLOW_REPORT_OUTCOMES.map((outcome) => ({ labels: { outcome }, value: s.reports?.[outcome] ?? 0 })),
    );
}

function sinkMetrics(reg: Registry, stages: PipelineStages): void {
  const outcomes =
    (k: 'rows' | 'batches') =>
    (s: { tables: Record<string, { rows: Record<string, number>; batches: Record<string, number> }> }): Sample[] =>
      Object.entries(s.tables).flatMap(([table, t]) =>
        SINK_OUTCOMES.map((outcome) => ({ labels: { table, outcome }, value: t[k][outcome] ?? 0 })),
      );
  new MetricSet(reg, () => stages.sink?.stats())
    .counter('tcplens_sink_rows_total', 'rows per table by outcome (queued = input; written, spooled, dropped = output)', outcomes('rows'))
    .counter('tcplens_sink_batches_total', 'batches per table by outcome', outcomes('batches'))
    .counter('tcplens_sink_insert_errors_total', 'failed ClickHouse insert attempts', (s) =>
      Object.entries(s.tables).map(([table, t]) => ({ labels: { table }, value: t.insertErrors })),
    )
    .histogram('tcplens_sink_insert_duration_seconds', 'ClickHouse insert latency per attempt', (s) => s.insertSeconds)
    .gauge('tcplens_sink_queue_rows', 'rows waiting in memory', (s) => s.queueRows)
    .gauge('tcplens_sink_queue_capacity_rows', 'in-memory queue bound; rows past it are dropped', (s) => s.queueCapacityRows)
    .gauge('tcplens_sink_spool_bytes', 'bytes in the on-disk spool', (s) => s.spoolBytes)
    .gauge('tcplens_sink_memory_bytes', 'bytes the sink holds in memory: open, sealed and pooled batches', (s) => s.memoryBytes ?? 0)
    .counter(
      'tcplens_sink_memory_spills_total',
      'sealed batches spooled to disk because the sink held its memory bound (ClickHouse slower than the producers)',
      (s) => s.memorySpills ?? 0,
    )
    .counter(
      'tcplens_sink_spool_errors_total',
      'spool files found damaged at open (ack_corrupt: the ack was unreadable; its batches are checked in ClickHouse before resending; writer_id_corrupt: a fresh random writer id was chosen)',
      (s) => [
        { labels: { kind: 'ack_corrupt' }, value: s.spoolAckCorrupt ?? 0 },
        { labels: { kind: 'writer_id_corrupt' }, value: s.spoolWriterIdCorrupt ?? 0 },
      ],
    )
    .gauge('tcplens_sink_spool_budget_bytes', 'spool size past which rows are dropped', (s) => s.spoolBudgetBytes)
    .gauge('tcplens_sink_state', 'sink state (1 for the current one)', (s) =>
      SINK_STATES.map((state) => ({ labels: { state }, value: s.state === state ? 1 : 0 })),
    )
    .counter(
      'tcplens_sink_backpressure_waits_total',
      'times the poll paused between two batches until the sink had room (in-memory batches under its mark; timeouts: it went on after the limit)',
      (s) =>
        s.backpressure
          ? [
              { labels: { end: 'room' }, value: s.backpressure.waits - s.backpressure.timeouts },
              { labels: { end: 'timeout' }, value: s.backpressure.timeouts },
            ]
          : [],
    )
    .counter('tcplens_sink_backpressure_seconds_total', 'seconds the poll paused for the sink', (s) =>
      s.backpressure ? s.backpressure.seconds : [],
    )
    .gauge('tcplens_sink_last_ok_timestamp_seconds', 'last successful insert or spool write, unix seconds', (s) =>
      s.lastOkMs === null ? [] : s.lastOkMs / 1000,
    );
}

function viewMetrics(reg: Registry, stages: PipelineStages): void {
  const per =
    (k: 'ticks' | 'rows' | 'seconds') =>
    (s: Array<{ view: string; ticks: number; rows: number; seconds: number }>): Sample[] =>
      s.map((v) => ({ labels: { view: v.view }, value: v[k] }));
  new MetricSet(reg, () => stages.views?.stats())
    .counter('tcplens_view_ticks_total', 'ticks of each view of the run loop (poll: cycles)', per('ticks'))
    .counter('tcplens_view_rows_total', 'rows each view handed on to the flow table and the sink', per('rows'))
    .counter('tcplens_view_tick_seconds_total', 'seconds each view spent in its ticks', per('seconds'));
  new MetricSet(reg, () => stages.parts?.stats()).gauge(
    'tcplens_view_part_up',
    '1 when a part of a view runs (program: the variant the kernel accepted), 0 when it is off (the start log says why)',
    (s) => s.map((p) => ({ labels: { view: p.view, part: p.part, program: p.program }, value: p.up ? 1 : 0 })),
  );
}

function bpfMetrics(reg: Registry, bpf: BpfProgStats | undefined): void {
  new MetricSet(reg, () => (bpf ? bpf.read() : undefined))
    .gauge('tcplens_bpf_stats_enabled', '1 when the kernel counts BPF program run time now (BPF_ENABLE_STATS)', (s) => (s.enabled ? 1 : 0))
    .counter(
      'tcplens_bpf_stats_held_seconds_total',
      'seconds this process held BPF run-time stats on (--bpf-stats): the run counters below advance only then',
      (s) => s.heldSeconds,
    )
    .counter('tcplens_bpf_prog_runs_total', 'runs of the BPF programs this process holds', (s) =>
      s.programs.map((p) => ({ labels: { program: p.name }, value: p.runCnt })),
    )
    .counter('tcplens_bpf_prog_run_seconds_total', 'kernel time spent in the BPF programs this process holds', (s) =>
      s.programs.map((p) => ({ labels: { program: p.name }, value: p.runTimeNs / 1e9 })),
    )
    .counter(
      'tcplens_bpf_load_retries_total',
      'eBPF program loads tried again because the verifier answered EAGAIN (interrupted by a signal)',
      (s) => s.loadRetries,
    );
}

export function createRegistry(stages: PipelineStages, opts: RegistryOptions): Registry {
  const reg = new Registry();
  new MetricSet(reg, () => opts).gauge('tcplens_build_info', 'tcplens build: version and Node.js version', (o) => [
    { labels: { version: o.version, node: process.version }, value: 1 },
  ]);
  pollMetrics(reg, stages);
  netlinkMetrics(reg, stages);
  destroyMetrics(reg, stages);
  eventsMetrics(reg, stages);
  samplesMetrics(reg, stages);
  targetedMetrics(reg, stages);
  adaptiveMetrics(reg, stages);
  flowsMetrics(reg, stages);
  sinkMetrics(reg, stages);
  viewMetrics(reg, stages);
  healthMetrics(reg, () => stages.health?.stats());
  bpfMetrics(reg, opts.bpfStats);
  new MetricSet(reg, () => opts.logger)
    .counter('tcplens_log_lines_total', 'log lines written, by level', (l) =>
      LEVELS.map((level) => ({ labels: { level }, value: l.written[level] })),
    )
    .counter('tcplens_log_suppressed_total', 'log lines suppressed by the per-key rate limit', (l) => l.suppressed);
  // the event-loop lag histogram samples the loop with a timer: prom-client's
  // 10 ms default wakes an idle sidecar 100 times a second (most of its idle
  // CPU). loop_lag.ts samples once a second and replaces prom-client's lag
  // gauges; prom-client's own histogram is given a period it never reaches.
  if (opts.defaults !== false) {
    collectDefaultMetrics({ register: reg, prefix: 'tcplens_', eventLoopMonitoringPrecision: 2 ** 31 - 1 });
    loopLagMetrics(reg, 'tcplens_');
  }
  return reg;
}
