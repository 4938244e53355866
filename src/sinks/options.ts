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
import { parseDuration, parseSize } from '../util/units';
import { createSink, type Sink } from './index';
import {
  clickhouseConfig,
  clickhouseOptions,
  describe as describeCh,
  makeClient,
  type ClickHouseConfig,
  type ClickHouseFlags,
} from './clickhouse/config';
import { ensureLocalServer, type LocalClickHouse } from './clickhouse/local_server';
import { applySchema } from './clickhouse/schema';
import { checkTtlDays, parseTableTtl, TTL_DEFAULT, type TableTtl } from './clickhouse/retention';
import { unreachable } from './clickhouse/retry';
import { tlsFailure } from './clickhouse/tls';
import { LEGACY, MODERN } from './clickhouse/dialect';

export interface SinkFlags extends ClickHouseFlags {
  sink: string;
  'spool-dir': string;
  'spool-bytes': string;
  'ttl-days': number;
  /** --ttl: days per table over --ttl-days (absent: --ttl-days for all) */
  ttl?: string;
  'schema-apply': boolean;
  'file-dialect'?: string;
  'flush-interval': string;
  'flush-jitter': string;
  'insert-buffer'?: boolean;
}

export interface FlushTiming {
  flushIntervalMs: number;
  flushJitterMs: number;
}

/** --flush-interval and --flush-jitter, checked (a usage error, exit 2, names the flag). */
export function flushTiming(args: Pick<SinkFlags, 'flush-interval' | 'flush-jitter'>): FlushTiming {
  const flushIntervalMs = parseDuration(args['flush-interval'], 'flush-interval');
  const j = args['flush-jitter'];
  const flushJitterMs = /^0+(ms|s)?$/.test(j.trim()) ? 0 : parseDuration(j, 'flush-jitter');
  if (flushIntervalMs > 3_600_000) throw usage(`--flush-interval: at most 1h, got ${args['flush-interval']}`);
  if (flushJitterMs > flushIntervalMs) throw usage(`--flush-jitter: at most the flush interval (${args['flush-interval']}), got ${j}`);
  return { flushIntervalMs, flushJitterMs };
}

/** --ttl-days's default, under which --ttl's default applies */
export const TTL_DAYS_DEFAULT = 30;

/** --insert-buffer of `run` and `schema` (buffer_tables.ts, docs/schema.md "Buffer tables") */
export const insertBufferOption = {
  type: 'boolean',
  default: false,
  describe:
    "ClickHouse: insert into a Buffer table <table>_buffer in front of each table (schema apply makes them; with --cluster in front of the Distributed tables on every node): many hosts' small INSERTs reach the tables as a few large ones (fleets on 18.16). Rows reach the tables 10-30 s later (the Buffer table shows them at once on its node); a server crash loses what its buffers hold",
} as const;

/** --ttl of `run` and `schema` */
export const ttlOption = {
  type: 'string',
  describe: `days per table over --ttl-days, TABLE=DAYS,... (snapshots, events, samples, owners, flows, cycles, coverage, or the table's name; rollups: the 1-minute rollups, 400 by default; 0 = forever); 'none': --ttl-days for all. Default: ${TTL_DEFAULT} while --ttl-days is ${TTL_DAYS_DEFAULT}; with another --ttl-days, none (an operator who chose a retention keeps it everywhere)`,
} as const;

/** --ttl-days and --ttl checked, as schema.ts's RenderOptions take them. --ttl
 * absent: its default split when --ttl-days is its default, else --ttl-days
 * for every table (an upgrade never shortens a retention the operator chose). */
export function retention(args: Pick<SinkFlags, 'ttl-days' | 'ttl'>): { ttlDays: number } & Partial<TableTtl> {
  const ttlDays = checkTtlDays(args['ttl-days']);
  const ttl = args.ttl ?? (ttlDays === TTL_DAYS_DEFAULT ? TTL_DEFAULT : undefined);
  return { ttlDays, ...(ttl !== undefined ? parseTableTtl(ttl) : {}) };
}

export function sinkOptions<T>(y: Argv<T>): Argv<T & SinkFlags> {
  return clickhouseOptions(y)
    .option('sink', {
      type: 'string',
      default: 'clickhouse',
      describe: 'clickhouse | stdout (ndjson) | file:PATH (length-delimited protobuf)',
    })
    .option('spool-dir', { type: 'string', default: '.tcplens/spool', describe: 'where batches wait while ClickHouse is unreachable' })
    .option('spool-bytes', { type: 'string', default: '256MiB', describe: 'spool budget; batches past it are dropped (counted)' })
    .option('flush-interval', {
      type: 'string',
      default: '1s',
      describe:
        'ClickHouse: insert each table at most this often (its rows wait up to this long; one INSERT per table per period, not per poll)',
    })
    .option('flush-jitter', {
      type: 'string',
      default: '0',
      describe: 'ClickHouse: add a random 0..DURATION to each flush period, so hosts started together do not insert in step',
    })
    .option('insert-buffer', insertBufferOption)
    .option('ttl-days', {
      type: 'number',
      default: TTL_DAYS_DEFAULT,
      describe: 'keep rows this many days (0 = forever), in every table --ttl does not name',
    })
    .option('ttl', ttlOption)
    .option('schema-apply', { type: 'boolean', default: true, describe: 'apply the schema migrations at start (idempotent)' })
    .option('file-dialect', {
      type: 'string',
      choices: ['legacy', 'modern'],
      default: 'legacy',
      describe:
        '--sink file: the ClickHouse its Native blocks are for: legacy = 18.16 (DateTime in seconds), modern = 20.3+ (DateTime64(9))',
    }) as unknown as Argv<T & SinkFlags>;
}

export interface OpenedSink {
  sink: Sink;
  /** for logs, without credentials */
  describe: string;
  /** the private server started (or reused) because no ClickHouse was configured */
  localServer?: LocalClickHouse;
}

/** how often the schema is tried again while ClickHouse is unreachable at start */
const SCHEMA_RETRY_MS = 5000;

/** Applies the migrations. An unreachable server is not fatal: rows spool
 * while the schema is tried again in the background. A server that answers
 * and refuses the schema is fatal. */
async function ensureSchema(
  config: ClickHouseConfig,
  kept: ReturnType<typeof retention> & { insertBuffer: boolean },
  localServer?: LocalClickHouse,
): Promise<void> {
  const attempt = async (): Promise<unknown> => {
    const client = makeClient(config);
    try {
      const r = await applySchema(client, { database: config.database, ...kept });
      log.info('schema.apply', 'schema ready', { applied: r.applied, already: r.skipped.length, buffers: r.buffers });
      return null;
    } catch (e) {
      return e ?? new Error('unknown error');
    } finally {
      await client.close();
    }
  };
  const err = await attempt();
  if (err === null) return;
  const msg = String((err as Error).message ?? err).split('\n')[0]!;
  if (!unreachable(err)) {
    if (localServer && !localServer.reused) await localServer.stop();
    throw new TcplensError('ECLICKHOUSE', tlsFailure(err, config.url) ?? `schema apply on ${describeCh(config)}: ${msg}`);
  }
  log.warn('schema.apply', 'ClickHouse unreachable: rows spool to disk; the schema is applied when it answers', { error: msg });
  const retry = (): void => {
    setTimeout(() => {
      void attempt().then((m) => {
        if (m !== null) retry();
      });
    }, SCHEMA_RETRY_MS).unref();
  };
  retry();
}

/** o.cluster: writing into a cluster's Distributed tables, whose schema the
 * operator applies once (tcplens schema apply --cluster), not every sidecar. */
export async function openSink(args: SinkFlags, o: { host?: string; cluster?: string } = {}): Promise<OpenedSink> {
  const spoolBytes = parseSize(args['spool-bytes'], '--spool-bytes');
  const timing = flushTiming(args);
  const kept = retention(args);
  if (args.sink !== 'clickhouse') {
    const sink = createSink(args.sink, { host: o.host, fileDialect: args['file-dialect'] === 'modern' ? MODERN : LEGACY });
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
    log.info(
      'schema.cluster',
      `cluster mode: writing into the ${args['insert-buffer'] ? 'Buffer tables in front of the ' : ''}Distributed tables; their schema is the operator's (tcplens schema apply --cluster${args['insert-buffer'] ? ' --insert-buffer' : ''})`,
      { cluster: o.cluster },
    );
  } else if (args['schema-apply']) {
    await ensureSchema(config, { ...kept, insertBuffer: args['insert-buffer'] === true }, localServer);
  }
  const sink = createSink('clickhouse', {
    host: o.host,
    clickhouse: config,
    spoolDir: args['spool-dir'],
    spoolBytes,
    ...timing,
    insertBuffer: args['insert-buffer'] === true,
  });
  await sink.start();
  return {
    sink,
    describe: `ClickHouse ${describeCh(config)}${localServer ? ` (private server, data under ${localServer.dir})` : ''}`,
    ...(localServer ? { localServer } : {}),
  };
}
