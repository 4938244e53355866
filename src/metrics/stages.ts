// What the metrics read from the pipeline: one optional provider per stage,
// each a `stats()` returning cumulative counters (monotonic since start) and
// a few gauges ("now"). The stages keep these counters themselves, in plain
// numbers, at batch granularity; the registry only reads them at scrape time.
// Nothing here is labelled by flow, address, port or namespace: per-namespace
// figures are summed, and only a count of failing namespaces is kept.
import type { HistogramSnapshot } from './histogram';
import type { HealthAccounts } from '../correlate/health';
import type { BackpressureStats } from '../sinks/stats';
import type { AdaptiveStats } from '../run/adaptive';

/** Netlink traffic and what went wrong in it, summed over namespaces. */
export interface NetlinkCounters {
  /** dump requests sent (poll); 0 for the destroy multicast */
  requests: number;
  /** recvmsg calls that returned data */
  recvs: number;
  /** netlink messages parsed */
  messages: number;
  bytes: number;
  /** rows written to column batches */
  rows: number;
  /** malformed messages: counted and skipped */
  parseErrors: number;
  /** receive queue overruns reported (ENOBUFS): each lost one or more messages */
  enobufs: number;
  /** messages the kernel dropped at a full receive queue (the socket's drop counter; destroy only) */
  dropped: number;
  /** MSG_TRUNC: a message larger than the buffer */
  truncated: number;
  /** NLMSG_ERROR replies and failed recv calls */
  nlErrors: number;
  /** messages for another namespace or family, skipped */
  foreign: number;
  /** congestion names beyond the dictionary, stored as unknown */
  dictOverflow: number;
  /** tolerated, not errors: dumps interrupted by a concurrent change, EINTR retries, short tcp_info zero-filled */
  dumpIntr: number;
  eintr: number;
  shortInfo: number;
}

export interface NamespaceCounters {
  /** namespaces watched now (gauge) */
  tracked: number;
  /** cumulative, since start */
  added: number;
  removed: number;
  /** namespaces whose last cycle failed (cannot enter, dump error): gauge */
  failing: number;
  /** cumulative namespace-cycles that failed */
  errors: number;
  /** /proc entries that could not be read during discovery, last refresh (gauge) */
  unreadable: number;
}

/** The poll view (src/metrics/poll_stage.ts adapts a PollSource to this). */
export interface PollStageStats {
  /** the configured --interval, seconds: alert rules compare staleness to it */
  intervalSeconds: number;
  cycles: number;
  /** cycles that took longer than the interval */
  overruns: number;
  /** wall ms since the epoch at the end of the first / latest cycle; null before */
  firstCycleEndMs: number | null;
  lastCycleEndMs: number | null;
  /** sockets handed on, cumulative; and in the latest cycle (gauge) */
  sockets: number;
  lastSockets: number;
  batches: number;
  cycleSeconds: HistogramSnapshot;
  netlink: NetlinkCounters;
  namespaces: NamespaceCounters;
  /** --poll-via iter: sockets the iterator walked, skipped as unchanged, and records lost
   * (malformed, bpf_seq_write failures, passes cut short); zeros on inet_diag */
  iter?: { walked: number; unchanged: number; malformed: number; writeErrors: number; dropped: number };
  /** exact-match polls (src/sources/poll_lookup.ts): namespace-cycles by mode ('lookup', or why a
   * dump), and the requests asked, answered with a live socket, and found gone */
  lookup?: { modes: Record<string, number>; requested: number; answered: number; gone: number };
}

/** The destroy view (src/metrics/destroy_stage.ts adapts a DestroySource). */
export interface DestroyStageStats {
  drains: number;
  rows: number;
  batches: number;
  /** socket failures seen while draining (overruns are netlink.enobufs) */
  errors: number;
  netlink: NetlinkCounters;
  namespaces: NamespaceCounters;
}

/** The eBPF events view: ring-buffer records per BPF program. */
export interface EventsStageStats {
  /** key: BPF program (or tracepoint) name, a fixed small set */
  programs: Record<
    string,
    {
      /** records read from the ring buffer */
      read: number;
      /** ring-buffer reserve failures, summed over CPUs (the per-CPU lost map) */
      lost: number;
    }
  >;
  /** ring-buffer bytes consumed */
  bytes: number;
  /** drains of the events view */
  polls: number;
  /** malformed records, counted and skipped */
  errors: number;
  /** rows handed on to correlation */
  rows: number;
  /** the native reader thread (run's events view), when it runs */
  reader?: {
    /** wakeups by the ring (the programs saw the threshold) and by the timer */
    dataWakeups: number;
    timerWakeups: number;
    wakeups: number;
    /** times its queue was full and it paused */
    stalls: number;
    /** rows it holds now (gauge) and the most it ever held */
    queuedRows: number;
    peakRows: number;
    /** CPU time the thread has used, ns */
    cpuNs: number;
  };
}

/** The targeted view (--snapshot-on): exact-match snapshots the events asked for. */
export interface TargetedStageStats {
  /** targets accepted, per trigger (open, retransmit, reset) */
  triggered: Record<string, number>;
  /** exact-match requests sent */
  requested: number;
  /** a live socket's snapshot, written */
  answered: number;
  /** the socket was already gone: closed (per the events) before it was due, or the kernel had no such socket */
  gone: number;
  /** requests that failed (socket errors) */
  failed: number;
  /** retransmits that joined a waiting (or just taken) retransmit snapshot */
  coalesced: number;
  /** targets never asked: limit (--snapshot-rate), queue (bound), netns (not watched) */
  dropped: Record<string, number>;
  /** targets waiting now (gauge) */
  pending: number;
}

/** The eBPF samples view: task-iterator runs. */
export interface SamplesStageStats {
  iterations: number;
  /** total seconds spent in iterator runs (read + parse) */
  seconds: number;
  /** task records read */
  records: number;
  errors: number;
  /** records dropped (batch full, overload) */
  dropped: number;
}

/** The flow table (src/correlate/). */
export interface FlowsStageStats {
  /** flows in the table now (gauge) */
  open: number;
  opened: number;
  closed: number;
  /** flows pushed out by the table cap before they closed */
  evicted: number;
  /** closed flows written before their close grace ended (too many waited) */
  graceCut?: number;
  /** finished flows by the combination of views that saw them; key from viewsLabel() */
  byViews: Record<string, number>;
  /** view reports that did not simply update a flow: see FLOW_REPORT_OUTCOMES */
  reports?: Partial<Record<FlowReportOutcome, number>>;
}

/** unkeyed: an event or sample naming no flow (cookie 0, no 4-tuple): dropped;
 * late: a close report after its flow was written: absorbed; tuple_joined: a
 * cookieless event joined on its 4-tuple; adopted: a cookieless flow re-keyed
 * under the cookie a poll or destroy row brought. */
export const FLOW_REPORT_OUTCOMES = ['unkeyed', 'late', 'tuple_joined', 'adopted'] as const;
export type FlowReportOutcome = (typeof FLOW_REPORT_OUTCOMES)[number];

export const SINK_OUTCOMES = ['queued', 'written', 'retried', 'spooled', 'replayed', 'dropped'] as const;
export type SinkOutcome = (typeof SINK_OUTCOMES)[number];

export interface SinkTableStats {
  rows: Record<SinkOutcome, number>;
  batches: Record<SinkOutcome, number>;
  /** failed insert attempts (whether retried, spooled or dropped afterwards) */
  insertErrors: number;
}

/** idle: nothing to do; writing: inserts succeed; spooling: destination down,
 * rows go to disk; failing: neither insert nor spool works (rows are dropped). */
export type SinkState = 'idle' | 'writing' | 'spooling' | 'failing';
export const SINK_STATES: readonly SinkState[] = ['idle', 'writing', 'spooling', 'failing'];

/** The ClickHouse sink (src/sinks/clickhouse/), one entry per table. */
export interface SinkStageStats {
  state: SinkState;
  /** the last insert or spool error, for /readyz (never credentials) */
  lastError?: string;
  /** wall ms of the last successful insert or spool write; null before */
  lastOkMs: number | null;
  /** rows waiting in memory (gauge) and the bound past which rows are dropped */
  queueRows: number;
  queueCapacityRows: number;
  /** bytes the sink's batches hold in memory (gauge), and sealed batches spooled because that
   * memory was full (counter: ClickHouse slower than the producers, not down) */
  memoryBytes?: number;
  memorySpills?: number;
  /** bytes on disk in the spool (gauge) and the budget past which it drops */
  spoolBytes: number;
  spoolBudgetBytes: number;
  /** spool ack files found damaged at open (counter) */
  spoolAckCorrupt?: number;
  /** spool writer_id files found damaged at open (counter) */
  spoolWriterIdCorrupt?: number;
  tables: Record<string, SinkTableStats>;
  /** seconds per insert attempt, successful or not, every table */
  insertSeconds: HistogramSnapshot;
  /** the poll held back by the sink (sinks that queue) */
  backpressure?: BackpressureStats;
}

/** One part of a view and whether it runs: the eBPF views' parts as loaded
 * (events: state, retransmit, reset_sent, reset_received; samples: tasks,
 * owners), poll and destroy as one part each. A fixed, small set. */
export interface ViewPartStats {
  view: string;
  part: string;
  /** the variant running; "" when off */
  program: string;
  up: boolean;
}

/** What every view of `run` reports, whatever it is (src/run/view.ts). */
export interface ViewTickStats {
  view: string;
  ticks: number;
  /** rows handed on to the flow table and the sink */
  rows: number;
  /** seconds spent in its ticks */
  seconds: number;
}

export interface StatsProvider<T> {
  stats(): T;
}

/** What `tcplens run` hands to startMetrics: the stages it has. */
export interface PipelineStages {
  poll?: StatsProvider<PollStageStats>;
  destroy?: StatsProvider<DestroyStageStats>;
  events?: StatsProvider<EventsStageStats>;
  samples?: StatsProvider<SamplesStageStats>;
  targeted?: StatsProvider<TargetedStageStats>;
  flows?: StatsProvider<FlowsStageStats>;
  sink?: StatsProvider<SinkStageStats>;
  parts?: StatsProvider<ViewPartStats[]>;
  views?: StatsProvider<ViewTickStats[]>;
  /** --coverage-target: the adaptive poll's choice (tcplens_poll_coverage_*) */
  adaptive?: StatsProvider<AdaptiveStats>;
  /** the flow table's TCP health accounts (tcplens_health_*), when on */
  health?: StatsProvider<HealthAccounts>;
}

/** FlowRow.views bits -> "poll+events" (fixed order; "none" for 0): at most 16 label values. */
export { viewsName as viewsLabel } from '../correlate/coverage';

export function zeroNetlink(): NetlinkCounters {
  return {
    requests: 0,
    recvs: 0,
    messages: 0,
    bytes: 0,
    rows: 0,
    parseErrors: 0,
    enobufs: 0,
    dropped: 0,
    truncated: 0,
    nlErrors: 0,
    foreign: 0,
    dictOverflow: 0,
    dumpIntr: 0,
    eintr: 0,
    shortInfo: 0,
  };
}

export function zeroNamespaces(): NamespaceCounters {
  return { tracked: 0, added: 0, removed: 0, failing: 0, errors: 0, unreadable: 0 };
}
