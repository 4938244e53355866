// Adapts a sink's own counters (src/sinks/stats.ts) to SinkStageStats.
import type { HistogramSnapshot } from './histogram';
import type { SinkStageStats, SinkState, SinkTableStats } from './stages';
import type { SinkStats } from '../sinks/stats';

/** The fields of SinkStats that the metrics read. */
export type SinkCountersLike = Pick<
  SinkStats,
  | 'tables'
  | 'queue_rows'
  | 'spool_bytes'
  | 'spool_ack_corrupt'
  | 'spool_writer_id_corrupt'
  | 'outage'
  | 'last_error'
  | 'backpressure'
  | 'memory_bytes'
  | 'memory_spills'
> & {
  insert_latency: HistogramSnapshot;
};

export interface SinkLimits {
  queueCapacityRows: number;
  spoolBudgetBytes: number;
}

const sum = (s: SinkCountersLike, k: 'rows_written' | 'rows_spooled' | 'rows_dropped'): number =>
  Object.values(s.tables).reduce((n, t) => n + t[k], 0);

/** Wraps a sink (anything with stats(): SinkCountersLike) as the metrics' sink
 * provider. Its state comes from which counter grew most recently: rows
 * dropped since the last write or spool = failing; spooled (or ClickHouse
 * flagged down) = spooling; written = writing. */
export function observeSink(sink: { stats(): SinkCountersLike }, limits: SinkLimits): { stats(): SinkStageStats } {
  const last = { rows_written: 0, rows_spooled: 0, rows_dropped: 0 };
  const at = { rows_written: 0, rows_spooled: 0, rows_dropped: 0 };
  let lastOkMs: number | null = null;
  return {
    stats(): SinkStageStats {
      const s = sink.stats();
      const now = Date.now();
      for (const k of ['rows_written', 'rows_spooled', 'rows_dropped'] as const) {
        const v = sum(s, k);
        if (v > last[k]) {
          last[k] = v;
          at[k] = now;
        }
      }
      if (at.rows_written || at.rows_spooled) lastOkMs = Math.max(at.rows_written, at.rows_spooled);
      const tables: Record<string, SinkTableStats> = {};
      for (const [name, t] of Object.entries(s.tables)) {
        tables[name] = {
          rows: {
            queued: t.rows_queued,
            written: t.rows_written,
            retried: 0,
            spooled: t.rows_spooled,
            replayed: t.rows_replayed,
            dropped: t.rows_dropped,
          },
          batches: {
            queued: t.batches_queued,
            written: t.batches_written,
            retried: t.batches_retried,
            spooled: t.batches_spooled,
            replayed: t.batches_replayed,
            dropped: t.batches_dropped,
          },
          insertErrors: t.batches_retried,
        };
      }
      const state: SinkState =
        at.rows_dropped > 0 && at.rows_dropped >= Math.max(at.rows_written, at.rows_spooled)
          ? 'failing'
          : s.outage || at.rows_spooled > at.rows_written
            ? 'spooling'
            : at.rows_written > 0
              ? 'writing'
              : 'idle';
      return {
        state,
        lastOkMs,
        queueRows: s.queue_rows,
        queueCapacityRows: limits.queueCapacityRows,
        spoolBytes: s.spool_bytes,
        ...(s.memory_bytes !== undefined ? { memoryBytes: s.memory_bytes, memorySpills: s.memory_spills ?? 0 } : {}),
        spoolAckCorrupt: s.spool_ack_corrupt ?? 0,
        spoolWriterIdCorrupt: s.spool_writer_id_corrupt ?? 0,
        spoolBudgetBytes: limits.spoolBudgetBytes,
        tables,
        insertSeconds: s.insert_latency,
        ...(s.last_error ? { lastError: s.last_error } : {}),
        ...(s.backpressure ? { backpressure: s.backpressure } : {}),
      };
    },
  };
}
