// Sink counters, read at scrape time by the metrics module (stats()): plain
// numbers bumped per batch, never per row, never a prom-client call here.
export interface TableCounters {
  rows_queued: number;
  batches_queued: number;
  rows_written: number;
  batches_written: number;
  /** insert attempts that failed and were tried again */
  batches_retried: number;
  rows_spooled: number;
  batches_spooled: number;
  rows_replayed: number;
  batches_replayed: number;
  rows_dropped: number;
  batches_dropped: number;
  /** ambiguous failures found already in ClickHouse, so not resent */
  batches_deduplicated: number;
}

export const newCounters = (): TableCounters => ({
  rows_queued: 0,
  batches_queued: 0,
  rows_written: 0,
  batches_written: 0,
  batches_retried: 0,
  rows_spooled: 0,
  batches_spooled: 0,
  rows_replayed: 0,
  batches_replayed: 0,
  rows_dropped: 0,
  batches_dropped: 0,
  batches_deduplicated: 0,
});

/** Insert latency in seconds: per-bucket counts (le bounds, last = +Inf), sum, count, and the last samples. */
export class LatencyHistogram {
  static readonly BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  readonly counts = new Array<number>(LatencyHistogram.BOUNDS.length + 1).fill(0);
  sum = 0;
  count = 0;
  readonly recent: number[] = [];
  observe(seconds: number): void {
    let i = LatencyHistogram.BOUNDS.findIndex((b) => seconds <= b);
    if (i < 0) i = LatencyHistogram.BOUNDS.length;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
    this.recent.push(seconds);
    if (this.recent.length > 256) this.recent.shift();
  }
  snapshot(): { bounds: number[]; counts: number[]; sum: number; count: number; recent: number[] } {
    return { bounds: [...LatencyHistogram.BOUNDS], counts: [...this.counts], sum: this.sum, count: this.count, recent: [...this.recent] };
  }
}

export interface SinkStats {
  kind: string;
  tables: Record<string, TableCounters>;
  /** rows/bytes in memory not yet written or spooled */
  queue_rows: number;
  queue_bytes: number;
  spool_bytes: number;
  spool_batches: number;
  /** bytes the batches hold in memory (open, sealed, pooled) and sealed batches spooled to stay under the bound */
  memory_bytes?: number;
  memory_spills?: number;
  /** spool ack files found damaged at open (counted, logged; the batches are checked before resending) */
  spool_ack_corrupt?: number;
  /** spool writer_id files found damaged at open (counted, logged; a fresh random id is used) */
  spool_writer_id_corrupt?: number;
  /** ClickHouse unreachable now (batches go to the spool) */
  outage: boolean;
  insert_latency: ReturnType<LatencyHistogram['snapshot']>;
  last_error?: string;
  /** producers held back until sealed batches in memory fell under the sink's mark (sinks that queue) */
  backpressure?: BackpressureStats;
}

export interface BackpressureStats {
  /** times a producer waited, seconds it waited in all, waits that ended by the time limit (it went on; the outbox bound then spills) */
  waits: number;
  seconds: number;
  timeouts: number;
}

/** The stats of a sink that writes as it goes (stdout, a file): nothing queued, no outage. */
export function plainSinkStats(kind: string, tables: Record<string, TableCounters>, spool = { bytes: 0, batches: 0 }): SinkStats {
  return {
    kind,
    tables: JSON.parse(JSON.stringify(tables)) as SinkStats['tables'],
    queue_rows: 0,
    queue_bytes: 0,
    spool_bytes: spool.bytes,
    spool_batches: spool.batches,
    outage: false,
    insert_latency: new LatencyHistogram().snapshot(),
  };
}
