// Rows and settings for the ClickHouse sink's tests: poll_cycles rows whose
// `sockets` values are unique ids (so count() and uniqExact() tell a lost row
// from a doubled one), and the test servers' connection settings.
import type { ClickHouseSinkOptions } from '../../src/sinks/clickhouse/sink';
import type { PollCycleRow } from '../../src/sinks/rows';
import { rows } from './clickhouse';
import type { ClickHouseClient } from '@clickhouse/client';

/** n rows whose `sockets` values are the unique ids first..first+n-1 */
export function pollCycleRows(n: number, first: number, netnsName = 'x'): PollCycleRow[] {
  const ts = BigInt(Date.now()) * 1_000_000n;
  return Array.from({ length: n }, (_, j) => ({
    ts_ns: ts,
    netns_inode: 1,
    netns_name: netnsName,
    duration_us: 1,
    sockets: first + j,
    batches: 1,
    bytes: 0,
    errors: 0,
    errno: 0,
    error_code: '',
    mode: 'dump' as const,
    dump_reason: '',
  }));
}

/** 50 rows whose `sockets` values are unique ids id*50..id*50+49 */
export const rowsFor = (id: number): PollCycleRow[] => pollCycleRows(50, id * 50);

/** The test servers' connection settings (user default, no password). */
export const server = (url: string, database: string): ClickHouseSinkOptions['clickhouse'] => ({
  url,
  user: 'default',
  password: '',
  database,
});

/** rows stored and distinct ids among them, in db.poll_cycles */
export async function storedIds(client: ClickHouseClient, db: string): Promise<{ n: number; unique: number }> {
  const [r] = await rows<{ n: string; u: string }>(client, `SELECT count() AS n, uniqExact(sockets) AS u FROM ${db}.poll_cycles`);
  return { n: Number(r?.n), unique: Number(r?.u) };
}
