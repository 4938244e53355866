// The sink `tcplens run` writes to: ClickHouse (a configured server, or a
// local one started under --data-dir when none is configured, with the
// schema applied first), stdout, or a file.
import * as path from 'path';
import { createSink, type Sink } from '../sinks';
import { clickhouseConfig, describe as describeCh, makeClient, type ClickHouseConfig } from '../sinks/clickhouse/config';
import { applySchema } from '../sinks/clickhouse/schema';
import { LocalClickHouse } from '../sinks/clickhouse/local_server';
import { TcplensError } from '../util/errors';
import type { Logger } from '../util/log';
import type { RunArgs } from './options';

/** Ports of the embedded server (HTTP, native TCP): away from a system ClickHouse's 8123/9000. */
export const LOCAL_HTTP_PORT = 18123, LOCAL_TCP_PORT = 19000;

export interface OpenedSink {
  sink: Sink;
  /** for logs: where rows go (never credentials) */
  describe: string;
  /** spool budget and queue bound, for the metrics */
  spoolBytes: number;
  /** stops what open started (the embedded server); after sink.close() */
  close(): Promise<void>;
}

async function localServer(args: RunArgs, log: Logger): Promise<{ cfg: ClickHouseConfig; server: LocalClickHouse }> {
  const server = new LocalClickHouse({ dir: path.join(args.dataDir, 'clickhouse'), httpPort: LOCAL_HTTP_PORT, tcpPort: LOCAL_TCP_PORT });
  await server.start();
  log.info('clickhouse.local', server.reused ? 'reusing the local ClickHouse' : 'started a local ClickHouse', { url: server.url, dir: server.dir });
  return { cfg: { url: server.url, user: 'default', password: '', database: args.database }, server };
}

export async function openSink(args: RunArgs, host: string, log: Logger): Promise<OpenedSink> {
  if (args.sink !== 'clickhouse') {
    const sink = createSink(args.sink, { host });
    await sink.start();
    return { sink, describe: args.sink, spoolBytes: 0, close: async () => {} };
  }
  let cfg = clickhouseConfig({ 'clickhouse-url': args.clickhouseUrl, 'clickhouse-password-file': args.clickhousePasswordFile, database: args.database });
  let server: LocalClickHouse | null = null;
  if (!cfg) ({ cfg, server } = await localServer(args, log));
  if (args.cluster) {
    log.info('schema.cluster', 'cluster mode: writing into the Distributed tables; the schema is the operator\'s (tcplens schema apply --cluster)', { cluster: args.cluster });
  } else {
    await ensureSchema(cfg, args, server, log);
  }
  const sink = createSink('clickhouse', { clickhouse: cfg, host, spoolDir: path.join(args.dataDir, 'spool'), spoolBytes: args.spoolBytes });
  await sink.start();
  return {
    sink, describe: describeCh(cfg), spoolBytes: args.spoolBytes,
    close: async () => { await server?.stop(); },
  };
}

const unreachable = (msg: string): boolean => /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|ECONNRESET|socket hang up|Timeout/i.test(msg);
/** how often the schema is tried again while ClickHouse is unreachable at start */
const SCHEMA_RETRY_MS = 5000;

/** Applies the migrations. An unreachable server is not fatal: rows spool
 * (and the insert retries wait) while the schema is tried again in the
 * background. A server that answers and refuses the schema is fatal. */
async function ensureSchema(cfg: ClickHouseConfig, args: RunArgs, server: LocalClickHouse | null, log: Logger): Promise<void> {
  const attempt = async (): Promise<string | null> => {
    const client = makeClient(cfg);
    try {
      const r = await applySchema(client, { database: cfg.database, ttlDays: args.ttlDays });
      log.info('schema.apply', 'schema ready', { applied: r.applied, already: r.skipped.length });
      return null;
    } catch (e) {
      return String((e as Error).message ?? e).split('\n')[0]!;
    } finally {
      await client.close();
    }
  };
  const msg = await attempt();
  if (msg === null) return;
  if (!unreachable(msg)) {
    await server?.stop();
    throw new TcplensError('ECLICKHOUSE', `schema apply on ${describeCh(cfg)}: ${msg}`);
  }
  log.warn('schema.apply', 'ClickHouse unreachable: rows spool to disk; the schema is applied when it answers', { error: msg });
  const retry = (): void => {
    setTimeout(() => {
      void attempt().then((m) => { if (m !== null) retry(); });
    }, SCHEMA_RETRY_MS).unref();
  };
  retry();
}
