// tcplens schema apply|print: the ClickHouse tables (schema/NNN_*.sql rendered
// for the server's version, or for a fleet with --cluster).
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { tlsFailure } from '../sinks/clickhouse/tls';
import { clickhouseConfig, clickhouseOptions, describe as describeCh, makeClient, type ClickHouseFlags } from '../sinks/clickhouse/config';
import { applySchema, checkIdentifier, detectDialect, renderAll } from '../sinks/clickhouse/schema';
import { LEGACY } from '../sinks/clickhouse/dialect';
import { insertBufferOption, retention, TTL_DAYS_DEFAULT, ttlOption } from '../sinks/options';
import { serverVersion } from './checks';
import { TcplensError, usage } from '../util/errors';

interface SchemaArgs extends ClickHouseFlags {
  action: string;
  cluster?: string;
  'ttl-days': number;
  ttl: string;
  'server-version'?: string;
  replicated: boolean;
  'insert-buffer'?: boolean;
}

export const command = 'schema <action>';
export const describe = 'ClickHouse schema: apply the migrations, or print the DDL';

export const builder = (y: Argv): Argv<SchemaArgs> =>
  clickhouseOptions(
    y
      .positional('action', {
        choices: ['apply', 'print'] as const,
        describe: 'apply: create/upgrade the tables; print: write the DDL to stdout',
      })
      .option('cluster', {
        type: 'string',
        describe: 'fleet variant: <table>_local (ReplicatedMergeTree) + Distributed <table>, ON CLUSTER NAME',
      })
      .option('replicated', {
        type: 'boolean',
        default: true,
        describe: 'with --cluster: ReplicatedMergeTree locals (needs ZooKeeper); --no-replicated for plain MergeTree',
      })
      .option('ttl-days', {
        type: 'number',
        default: TTL_DAYS_DEFAULT,
        describe:
          'drop rows older than this (0 = never), in every table --ttl does not name; on 18.16 whole day partitions are dropped at apply',
      })
      .option('ttl', ttlOption)
      .option('insert-buffer', insertBufferOption)
      .option('server-version', { type: 'string', describe: 'print: render for this version (default: ask the server, else 18.16)' }),
  )
    .example('$0 schema apply', 'tables in database tcplens at $TCPLENS_CLICKHOUSE_URL')
    .example('$0 schema print --cluster fleet --server-version 24.8', 'fleet DDL for a modern cluster') as unknown as Argv<SchemaArgs>;

/** Every flag of `tcplens schema` checked, before a server is asked. */
export function validate(args: SchemaArgs) {
  const kept = retention(args);
  const cfg = clickhouseConfig(args);
  if (args.action === 'apply' && !cfg) throw usage('schema apply: no ClickHouse configured (--clickhouse-url or TCPLENS_CLICKHOUSE_URL)');
  const database = checkIdentifier('database', args.database ?? 'tcplens');
  if (args.cluster !== undefined) checkIdentifier('cluster', args.cluster);
  if (args.cluster === undefined && args.replicated === false) throw usage('--no-replicated: with --cluster');
  const version = args['server-version'] !== undefined ? serverVersion(args['server-version']) : undefined;
  const base = {
    database,
    ...kept,
    insertBuffer: args['insert-buffer'] === true,
    ...(args.cluster !== undefined ? { cluster: args.cluster, replicated: args.replicated } : {}),
  };
  return { cfg, base, version };
}

export async function handler(args: ArgumentsCamelCase<SchemaArgs>): Promise<void> {
  const { cfg, base, version } = validate(args);
  if (args.action === 'print') {
    let dialect = version ?? LEGACY;
    if (!version && cfg) {
      const client = makeClient(cfg);
      try {
        dialect = await detectDialect(client);
      } catch {
        /* server down: 18.16 rendering */
      } finally {
        await client.close();
      }
    }
    process.stdout.write(`-- tcplens schema for ClickHouse ${dialect.version}${args.cluster ? `, cluster ${args.cluster}` : ''}\n`);
    for (const s of renderAll({ ...base, dialect })) process.stdout.write(`${s};\n\n`);
    return;
  }
  if (!cfg) throw usage('schema apply: no ClickHouse configured (--clickhouse-url or TCPLENS_CLICKHOUSE_URL)');
  const client = makeClient(cfg);
  try {
    const r = await applySchema(client, base);
    process.stdout.write(
      `${describeCh(cfg)}: ClickHouse ${r.dialect.version}; applied ${r.applied.length ? r.applied.join(', ') : 'nothing'}; already there ${r.skipped.length}${r.expiredPartitions ? `; dropped ${r.expiredPartitions} expired partitions` : ''}${r.buffers.length ? `; Buffer tables made ${r.buffers.join(', ')}` : ''}\n`,
    );
  } catch (e) {
    if (e instanceof TcplensError) throw e;
    const tls = tlsFailure(e, cfg.url);
    if (tls) throw new TcplensError('ECLICKHOUSE', tls);
    throw new TcplensError('ECLICKHOUSE', `schema apply on ${describeCh(cfg)}: ${String((e as Error).message ?? e).split('\n')[0]}`);
  } finally {
    await client.close();
  }
}
