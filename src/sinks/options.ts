// What `tcplens run` needs to open its sink from flags: the yargs options
// (sinkOptions) and openSink(), which picks the destination, falls back to a
// private ClickHouse when none is configured, applies the schema and starts
// the sink. Usage in run's handler:
//
//   const { sink, describe } = await openSink(args, { host });
//   log(`writing to ${describe}`);
//   pollSource.cycle((batch, ctx) => sink.writeSnapshots(batch, ctx));   // copies at once
//   sink.writeFlows(rows); sink.writePollCycles(rows); sink.writeCoverage(rows);
//   process.once('SIGTERM', () => void sink.close().then(() => process.exit(0)));
//   metrics: sink.stats() at scrape time
import type { Argv } from 'yargs';
import { TcplensError, usage } from '../util/errors';
import { log } from '../util/log';
import { createSink, type Sink } from './index';
import { clickhouseConfig, clickhouseOptions, describe as describeCh, makeClient, type ClickHouseConfig, type ClickHouseFlags } from './clickhouse/config';
import { ensureLocalServer, type LocalClickHouse } from './clickhouse/local_server';
import { applySchema } from './clickhouse/schema';

export interface SinkFlags extends ClickHouseFlags {
  sink: string;
  'spool-dir': string;
  'spool-bytes': string;
  'ttl-days': number;
  'schema-apply': boolean;
}

export function sinkOptions<T>(y: Argv<T>): Argv<T & SinkFlags> {
  return clickhouseOptions(y)
    .option('sink', { type: 'string', default: 'clickhouse', describe: 'clickhouse | stdout (ndjson) | file:PATH (length-delimited protobuf)' })
    .option('spool-dir', { type: 'string', default: '.tcplens/spool', describe: 'where batches wait while ClickHouse is unreachable' })
    .option('spool-bytes', { type: 'string', default: '256MiB', describe: 'spool budget; batches past it are dropped (counted)' })
    .option('ttl-days', { type: 'number', default: 30, describe: 'keep rows this many days (0 = forever)' })
    .option('schema-apply', { type: 'boolean', default: true, describe: 'apply the schema migrations at start (idempotent)' }) as unknown as Argv<T & SinkFlags>;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: 1024 ** 2, g: 1e9, gb: 1e9, gib: 1024 ** 3 };

/** "256MiB", "1g", "1048576" -> bytes */
export function parseBytes(text: string, flag = '--spool-bytes'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(String(text));
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw usage(`${flag}: a size like 256MiB, 1GB or 1048576 expected, got '${text}'`);
  return Math.floor(Number(m[1]) * unit);
}

export interface OpenedSink {
  sink: Sink;
  /** for logs, without credentials */
  describe: string;
  /** the private server started (or reused) because no ClickHouse was configured */
  localServer?: LocalClickHouse;
}

const unreachable = (msg: string): boolean => /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|ECONNRESET|socket hang up|Timeout/i.test(msg);
/** how often the schema is tried again while ClickHouse is unreachable at start */
const SCHEMA_RETRY_MS = 5000;

/** Applies the migrations. An unreachable server is not fatal: rows spool
 * while the schema is tried again in the background. A server that answers
 * and refuses the schema is fatal. */
async function ensureSchema(config: ClickHouseConfig, ttlDays: number, localServer?: LocalClickHouse): Promise<void> {
  const attempt = async (): Promise<string | null> => {
    const client = makeClient(config);
    try {
      const r = await applySchema(client, { database: config.database, ttlDays });
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
    if (localServer && !localServer.reused) await localServer.stop();
    throw new TcplensError('ECLICKHOUSE', `schema apply on ${describeCh(config)}: ${msg}`);
  }
  log.warn('schema.apply', 'ClickHouse unreachable: rows spool to disk; the schema is applied when it answers', { error: msg });
  const retry = (): void => {
    setTimeout(() => { void attempt().then((m) => { if (m !== null) retry(); }); }, SCHEMA_RETRY_MS).unref();
  };
  retry();
}

/** o.cluster: writing into a cluster's Distributed tables, whose schema the
 * operator applies once (tcplens schema apply --cluster), not every sidecar. */
export async function openSink(args: SinkFlags, o: { host?: string; cluster?: string } = {}): Promise<OpenedSink> {
  const spoolBytes = parseBytes(args['spool-bytes']);
  if (args.sink !== 'clickhouse') {
    const sink = createSink(args.sink, { host: o.host });
    await sink.start();
    return { sink, describe: args.sink };
  }
  let config = clickhouseConfig(args);
  let localServer: LocalClickHouse | undefined;
  if (!config) {
    const local = await ensureLocalServer();
    localServer = local.server;
    config = { ...local.config, database: args.database ?? 'tcplens' };
  }
  if (o.cluster) {
    log.info('schema.cluster', "cluster mode: writing into the Distributed tables; their schema is the operator's (tcplens schema apply --cluster)", { cluster: o.cluster });
  } else if (args['schema-apply']) {
    await ensureSchema(config, args['ttl-days'], localServer);
  }
  const sink = createSink('clickhouse', { host: o.host, clickhouse: config, spoolDir: args['spool-dir'], spoolBytes });
  await sink.start();
  return { sink, describe: `ClickHouse ${describeCh(config)}${localServer ? ` (private server, data under ${localServer.dir})` : ''}`, ...(localServer ? { localServer } : {}) };
}
