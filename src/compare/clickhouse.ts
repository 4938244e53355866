// Predicted coverage from the flows the ClickHouse sink stored (tcp_flows),
// with schema/queries/coverage_from_flows.sql, for any window and intervals.
import * as fs from 'fs';
import * as path from 'path';
import { makeClient, type ClickHouseConfig } from '../sinks/clickhouse/config';
import { unreachable } from '../sinks/clickhouse/retry';
import { TcplensError, usage } from '../util/errors';

const SQL = path.resolve(__dirname, '..', '..', '..', 'schema', 'queries', 'coverage_from_flows.sql');

export interface ClickhouseCoverage {
  interval_ms: number;
  flows: number;
  predicted_coverage: number;
  predicted_sigma: number;
  stored_poll_coverage: number;
  bytes: number;
  bytes_unpolled: number;
}

export interface ClickhouseOptions {
  database: string;
  intervalsMs: number[];
  sinceNs: bigint;
  untilNs: bigint;
}

/** The query text with its parameters in place; every value is checked, none is quoted user text. */
export function coverageQuery(o: ClickhouseOptions): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(o.database)) throw usage(`--database: "${o.database}" is not a plain identifier`);
  const ints = o.intervalsMs.map((p) => {
    if (!(p > 0 && Number.isFinite(p))) throw usage(`--intervals: ${p} is not a positive interval`);
    return String(+p.toFixed(6));
  });
  const body = fs
    .readFileSync(SQL, 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('--'))
    .join('\n');
  return body
    .replace('{db}', o.database)
    .replace('{intervals_ms}', `[${ints.join(', ')}]`)
    .replace('{since_ns}', o.sinceNs.toString())
    .replace('{until_ns}', o.untilNs.toString())
    .trim()
    .replace(/FORMAT JSON$/, '');
}

/** Credentials: TCPLENS_CLICKHOUSE_USER / _PASSWORD or --clickhouse-password-file (src/sinks/clickhouse/config.ts), never argv. */
export async function coverageFromClickhouse(cfg: ClickHouseConfig, q: Omit<ClickhouseOptions, 'database'>): Promise<ClickhouseCoverage[]> {
  const o: ClickhouseOptions = { ...q, database: cfg.database };
  const client = makeClient(cfg);
  try {
    const rs = await client.query({ query: coverageQuery(o), format: 'JSON' });
    const body = (await rs.json()) as { data: Array<Record<string, string | number>> };
    return body.data.map((r) => ({
      interval_ms: Number(r.interval_ms),
      flows: Number(r.flows),
      predicted_coverage: Number(r.predicted_coverage),
      predicted_sigma: Number(r.predicted_sigma),
      stored_poll_coverage: Number(r.stored_poll_coverage),
      bytes: Number(r.bytes),
      bytes_unpolled: Number(r.bytes_unpolled),
    }));
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0]!;
    if (/UNKNOWN_TABLE|doesn't exist|Code: 60\b/.test(msg)) {
      throw new TcplensError(
        'EUSAGE',
        `--from-clickhouse needs the ClickHouse sink: table ${o.database}.tcp_flows does not exist at ${cfg.url}`,
      );
    }
    if (unreachable(e)) throw new TcplensError('EUSAGE', `--from-clickhouse: cannot reach ClickHouse at ${cfg.url} (${msg})`);
    throw new TcplensError('EUSAGE', `--from-clickhouse: ${msg}`);
  } finally {
    await client.close();
  }
}
