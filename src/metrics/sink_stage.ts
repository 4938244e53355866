// Adapts the ClickHouse sink's own counters (src/sinks/stats.ts SinkStats on
// the clickhouse branch, matched here structurally so this file compiles
// before that branch is merged) to SinkStageStats.
import type { HistogramSnapshot } from './histogram';
import type { SinkStageStats, SinkState, SinkTableStats } from './stages';

/** The fields of src/sinks/stats.ts SinkStats that the metrics read. */
export interface SinkCountersLike {
  tables: Record<string, {
    rows_queued: number; batches_queued: number; rows_written: number; batches_written: number;
    batches_retried: number; rows_spooled: number; batches_spooled: number;
    rows_replayed: number; batches_replayed: number; rows_dropped: number; batches_dropped: number;
  }>;
  queue_rows: number;
  spool_bytes: number;
  outage: boolean;
  insert_latency: HistogramSnapshot;
  last_error?: string;
}

export interface SinkLimits {
  queueCapacityRows: number;
  spoolBudgetBytes: number;
}

/** Wraps a sink (anything with stats(): SinkCountersLike) as the metrics' sink provider. */
export function observeSink(sink: { stats(): SinkCountersLike }, limits: SinkLimits): { stats(): SinkStageStats } {
  let lastOkMs: number | null = null;
  let lastDone = 0;
  return {
    stats(): SinkStageStats {
      const s = sink.stats();
      const tables: Record<string, SinkTableStats> = {};
      let done = 0;
      for (const [name, t] of Object.entries(s.tables)) {
        done += t.batches_written + t.batches_spooled;
        tables[name] = {
          rows: { queued: t.rows_queued, written: t.rows_written, retried: 0, spooled: t.rows_spooled, replayed: t.rows_replayed, dropped: t.rows_dropped },
          batches: { queued: t.batches_queued, written: t.batches_written, retried: t.batches_retried, spooled: t.batches_spooled, replayed: t.batches_replayed, dropped: t.batches_dropped },
          insertErrors: t.batches_retried,
        };
      }
      // progress seen since the last read: the sink wrote or spooled something
      if (done > lastDone) { lastOkMs = Date.now(); lastDone = done; }
      const full = limits.spoolBudgetBytes > 0 && s.spool_bytes >= limits.spoolBudgetBytes;
      const state: SinkState = s.outage ? (full ? 'failing' : 'spooling') : done > 0 ? 'writing' : 'idle';
      return {
        state, lastOkMs, queueRows: s.queue_rows, queueCapacityRows: limits.queueCapacityRows,
        spoolBytes: s.spool_bytes, spoolBudgetBytes: limits.spoolBudgetBytes, tables, insertSeconds: s.insert_latency,
        ...(s.last_error ? { lastError: s.last_error } : {}),
      };
    },
  };
}
