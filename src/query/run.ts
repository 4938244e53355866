// Runs a rendered question against ClickHouse and reads back its columns and
// rows. Every failure is one line: an unreachable server, a database without
// tcplens's tables, a schema older than the question (008 not applied).
import type { ClickHouseClient } from '@clickhouse/client';
import { describe as describeCh, makeClient, type ClickHouseConfig } from '../sinks/clickhouse/config';
import { detectDialect } from '../sinks/clickhouse/schema';
import type { Dialect } from '../sinks/clickhouse/dialect';
import { unreachable } from '../sinks/clickhouse/retry';
import { tlsFailure } from '../sinks/clickhouse/tls';
import { TcplensError } from '../util/errors';
import type { Rendered } from './render';
import { ROLLUPS } from './rollup';

export interface Column {
  name: string;
  type: string;
}

export interface ResultSet {
  columns: Column[];
  rows: Array<Record<string, unknown>>;
}

/** A failure of the server or the connection as one line with what to do. */
export function queryError(e: unknown, cfg: ClickHouseConfig): TcplensError {
  if (e instanceof TcplensError) return e;
  const tls = tlsFailure(e, cfg.url);
  if (tls) return new TcplensError('ECLICKHOUSE', tls);
  const msg = String((e as Error)?.message ?? e).split('\n')[0]!;
  if (unreachable(e) || /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|socket hang up|Timeout error/i.test(msg))
    return new TcplensError('ECLICKHOUSE', `cannot reach ClickHouse at ${describeCh(cfg)}: ${msg}`);
  // a rollup missing from tables that are there: the schema predates it (011)
  if (Object.keys(ROLLUPS).some((r) => new RegExp(`Table \\w+\\.${r} doesn't exist`).test(msg)))
    return new TcplensError('ECLICKHOUSE', `the schema of ${cfg.database} is older than this question: run tcplens schema apply (${msg})`);
  if (/Code: 81\b|Database .* doesn't exist|Code: 60\b|Table .* doesn't exist/.test(msg))
    return new TcplensError(
      'ECLICKHOUSE',
      `no tcplens tables in database ${cfg.database} at ${cfg.url} (write some with tcplens run, or pick --database): ${msg}`,
    );
  if (/Code: 47\b|Missing columns|Unknown identifier/.test(msg))
    return new TcplensError('ECLICKHOUSE', `the schema of ${cfg.database} is older than this question: run tcplens schema apply (${msg})`);
  return new TcplensError('ECLICKHOUSE', `ClickHouse at ${cfg.url}: ${msg}`);
}

/** A client and the server's dialect (one round trip that also proves the server is there). */
export async function connect(cfg: ClickHouseConfig): Promise<{ client: ClickHouseClient; dialect: Dialect }> {
  const client = makeClient(cfg, { request_timeout: 30_000 });
  try {
    return { client, dialect: await detectDialect(client) };
  } catch (e) {
    await client.close().catch(() => undefined);
    throw queryError(e, cfg);
  }
}

export async function runRendered(client: ClickHouseClient, cfg: ClickHouseConfig, r: Rendered): Promise<ResultSet> {
  try {
    const rs = await client.query({ query: r.sql, format: 'JSON', ...(Object.keys(r.params).length ? { query_params: r.params } : {}) });
    const body = (await rs.json()) as { meta: Column[]; data: Array<Record<string, unknown>> };
    return { columns: body.meta, rows: body.data };
  } catch (e) {
    throw queryError(e, cfg);
  }
}
