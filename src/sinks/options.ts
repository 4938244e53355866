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
import { usage } from '../util/errors';
import { createSink, type Sink } from './index';
import { clickhouseConfig, clickhouseOptions, describe as describeCh, makeClient, type ClickHouseFlags } from './clickhouse/config';
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

export async function openSink(args: SinkFlags, o: { host?: string } = {}): Promise<OpenedSink> {
  const spoolBytes = parseBytes(args['spool-bytes']);
  if (args.sink !== 'clickhouse') {
    const sink = createSink(args.sink, o);
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
  if (args['schema-apply']) {
    const client = makeClient(config);
    try { await applySchema(client, { database: config.database, ttlDays: args['ttl-days'] }); } finally { await client.close(); }
  }
  const sink = createSink('clickhouse', { ...o, clickhouse: config, spoolDir: args['spool-dir'], spoolBytes });
  await sink.start();
  return { sink, describe: `ClickHouse ${describeCh(config)}${localServer ? ` (private server, data under ${localServer.dir})` : ''}`, ...(localServer ? { localServer } : {}) };
}
