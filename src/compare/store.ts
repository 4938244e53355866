// Every measured compare run, one row per view and interval, into the
// ClickHouse `coverage` table (schema/006_coverage.sql), so coverage can be
// followed over time and set beside schema/queries/coverage_from_flows.sql.
import * as crypto from 'crypto';
import * as os from 'os';
import type { ClickHouseConfig } from '../sinks/clickhouse/config';
import { makeClient } from '../sinks/clickhouse/config';
import { applySchema } from '../sinks/clickhouse/schema';
import { ClickHouseSink } from '../sinks/clickhouse/sink';
import type { CoverageRow } from '../sinks/rows';
import type { CompareResult } from './run';
import { TcplensError } from '../util/errors';

export function coverageRows(r: CompareResult, runId: string, tsNs: bigint): CoverageRow[] {
  return r.views
    .filter((v) => v.available)
    .map((v) => ({
      ts_ns: tsNs,
      run_id: runId,
      view: v.view,
      interval_ms: v.interval_ms ?? 0,
      window_ms: Math.round(v.window_ms ?? r.duration_ms),
      flows_seen: v.flows_seen,
      flows_missed: v.flows_missed,
      flows_late: 0, // the report has no "late" class: staleness is in its own columns of the JSON
      bytes_seen: Math.max(0, Math.round(v.bytes_seen ?? 0)),
      bytes_missed: Math.max(0, Math.round(v.bytes_missed ?? 0)),
      events: v.rows,
      dropped: v.drops ?? 0,
      cpu_us: Math.round(v.cpu_us ?? 0),
    }));
}

/** Writes the run's rows; returns the run id. Throws one clear error when the server refuses. */
export async function storeCoverage(cfg: ClickHouseConfig, r: CompareResult): Promise<{ runId: string; rows: number }> {
  const client = makeClient(cfg);
  try {
    await applySchema(client, { database: cfg.database, ttlDays: 0 });
  } catch (e) {
    throw new TcplensError('ECLICKHOUSE', `compare: storing the coverage rows: ${String((e as Error).message).split('\n')[0]}`);
  } finally {
    await client.close();
  }
  const runId = crypto.randomUUID();
  const rows = coverageRows(r, runId, BigInt(Date.now()) * 1_000_000n);
  const sink = new ClickHouseSink({ clickhouse: cfg, host: os.hostname(), maxAttempts: 3 });
  await sink.start();
  sink.writeCoverage(rows);
  await sink.close();
  const t = sink.stats().tables['coverage'];
  if (!t || t.rows_written !== rows.length) {
    throw new TcplensError(
      'ECLICKHOUSE',
      `compare: ${t?.rows_written ?? 0} of ${rows.length} coverage rows written (${sink.stats().last_error ?? 'no error reported'})`,
    );
  }
  return { runId, rows: rows.length };
}
