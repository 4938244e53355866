// Migrations: schema/NNN_name.sql are templates with {{placeholders}} for the
// choices that depend on the server version (types, codecs, TTL) and on the
// deployment (single server or cluster). apply() runs those not yet recorded
// in <db>.schema_migrations, in order; every statement is IF NOT EXISTS, so
// running it twice, or racing another sidecar, changes nothing.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { ClickHouseClient } from '@clickhouse/client';
import { type Dialect, dialectFor, lcType, tsType } from './dialect';
import { TcplensError } from '../../util/errors';
import { serverRefused } from './retry';
import { bufferOf, createBuffers, dropBuffers, staleBuffers } from './buffer_tables';

export const SCHEMA_DIR = path.join(__dirname, '..', '..', '..', '..', 'schema');

export interface Migration {
  version: number;
  name: string;
  template: string;
  checksum: string;
}

export interface RenderOptions {
  database: string;
  dialect: Dialect;
  /** TTL in days of every raw table; 0 = keep forever */
  ttlDays?: number;
  /** days per raw table (full names) over ttlDays: --ttl (retention.ts) */
  ttl?: Readonly<Record<string, number>>;
  /** TTL of the rollups (tables a materialized view writes into), days; default 400; 0 = forever */
  rollupTtlDays?: number;
  /** fleet variant: <table>_local on every node + a Distributed <table> over them */
  cluster?: string;
  /** with cluster: ReplicatedMergeTree (needs ZooKeeper); false = plain MergeTree locals */
  replicated?: boolean;
  /** with cluster: emit ON CLUSTER (needs ZooKeeper for distributed DDL); false = run on each node yourself */
  onCluster?: boolean;
  /** --insert-buffer: a Buffer table <table>_buffer in front of each table writers insert into (buffer_tables.ts) */
  insertBuffer?: boolean;
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkIdentifier(kind: string, v: string): string {
  if (!NAME_RE.test(v)) throw new TcplensError('EUSAGE', `bad ${kind} name '${v}': letters, digits and _ only`);
  return v;
}

export function loadMigrations(dir = SCHEMA_DIR): Migration[] {
  const out: Migration[] = [];
  for (const f of fs.readdirSync(dir).sort()) {
    const m = /^(\d{3})_([a-z0-9_]+)\.sql$/.exec(f);
    if (!m) continue;
    const template = fs.readFileSync(path.join(dir, f), 'utf8');
    out.push({
      version: Number(m[1]),
      name: m[2]!,
      template,
      checksum: crypto.createHash('sha256').update(template).digest('hex').slice(0, 16),
    });
  }
  return out;
}

/** Statements of one template (split on ';' at line end), comments dropped. */
function statements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}

/** The fleet's Distributed `table` over every node's `table`_local. */
const distributedOver = (db: string, table: string, onCluster: string, cluster: string): string =>
  `CREATE TABLE IF NOT EXISTS ${db}.${table} ${onCluster} AS ${db}.${table}_local ENGINE = Distributed(${cluster}, ${db}, ${table}_local, rand())`;

/** Rendered statements of one migration. */
export function renderMigration(m: Migration, o: RenderOptions): string[] {
  const db = checkIdentifier('database', o.database);
  const d = o.dialect;
  const cluster = o.cluster ? checkIdentifier('cluster', o.cluster) : undefined;
  const onCluster = cluster && o.onCluster !== false ? `ON CLUSTER ${cluster}` : '';
  const out: string[] = [];
  for (const stmt of statements(m.template)) {
    const tm = /CREATE TABLE IF NOT EXISTS \{\{db\}\}\.([a-z0-9_]+)/.exec(stmt);
    const table = tm?.[1] ?? '';
    const altered = /^ALTER TABLE \{\{db\}\}\.([a-z_]+)/.exec(stmt)?.[1] ?? '';
    const local = cluster ? `${table}_local` : table;
    const replicated = (kind: string): string =>
      cluster && o.replicated !== false ? `Replicated${kind}('/clickhouse/tables/{shard}/${db}/${local}', '{replica}')` : `${kind}()`;
    const rollupDays = o.rollupTtlDays ?? ROLLUP_TTL_DAYS;
    const vars: Record<string, string> = {
      db,
      on_cluster: onCluster,
      engine: replicated('MergeTree'),
      engine_agg: replicated('AggregatingMergeTree'),
      local: cluster ? '_local' : '',
      lc: lcType(d),
      ts: tsType(d),
      c_ts: d.modern ? ' CODEC(DoubleDelta, ZSTD(1))' : '',
      c_u: d.modern ? ' CODEC(T64, ZSTD(1))' : '',
      ttl: d.modern && ttlDaysOf(o, table) > 0 ? `TTL ${ttlExpr('ts', ttlDaysOf(o, table))}` : '',
      if_not_exists: d.modern ? 'IF NOT EXISTS' : '',
      // a column the server computes: stored on one node, computed on read on a
      // cluster (18.16's Distributed table sends MATERIALIZED ones in inserts)
      computed: cluster ? 'ALIAS' : 'MATERIALIZED',
      ttl_rollup: d.modern && rollupDays > 0 ? `TTL ${ttlExpr('minute', rollupDays)}` : '',
    };
    let sql = stmt.replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
      const v = vars[k];
      if (v === undefined) throw new Error(`${m.version}_${m.name}.sql: unknown placeholder {{${k}}}`);
      return v;
    });
    if (/^CREATE MATERIALIZED VIEW/.test(sql) && cluster) {
      // a view on every node, over that node's local tables; no Distributed twin
      out.push(sql.replace(/\n\s*\n/g, '\n'));
    } else if (cluster && table) {
      sql = sql.replace(`${db}.${table} `, `${db}.${local} `);
      out.push(sql.replace(/\n\s*\n/g, '\n'));
      out.push(distributedOver(db, table, onCluster, cluster));
    } else if (altered) {
      sql = sql.replace(/ {2,}/g, ' '); // an empty placeholder's gap
      if (cluster) {
        // every node's local table changes; the Distributed table over them holds
        // no rows and is made again from it (18.16 refuses ALTER ... ON CLUSTER of
        // a Distributed table over replicated shards: ClickHouse issue 3268)
        out.push(sql.replace(`${db}.${altered} `, `${db}.${altered}_local `));
        out.push(`DROP TABLE IF EXISTS ${db}.${altered} ${onCluster}`.trim());
        out.push(distributedOver(db, altered, onCluster, cluster));
      } else out.push(sql);
    } else {
      out.push(sql.replace(/\n\s*\n/g, '\n'));
    }
  }
  return out;
}

/** Every statement `schema apply` would run, in order (the database first). */
export function renderAll(o: RenderOptions, migrations = loadMigrations()): string[] {
  const onCluster = o.cluster && o.onCluster !== false ? ` ON CLUSTER ${checkIdentifier('cluster', o.cluster)}` : '';
  const out = [`CREATE DATABASE IF NOT EXISTS ${checkIdentifier('database', o.database)}${onCluster}`];
  for (const m of migrations) out.push(...renderMigration(m, o));
  if (o.insertBuffer) out.push(...createBuffers(checkIdentifier('database', o.database), onCluster.trim(), tableNames(migrations)));
  return out;
}

/** default retention of the rollups: a year and a bit, against 30 days of raw rows */
export const ROLLUP_TTL_DAYS = 400;

const created = (m: Migration): string[] =>
  [...m.template.matchAll(/CREATE TABLE IF NOT EXISTS \{\{db\}\}\.([a-z0-9_]+)/g)].map((x) => x[1]!);

/** Tables a materialized view writes into (TO {{db}}.t): rollups, not written by the sidecar. */
export function rollupNames(migrations = loadMigrations()): string[] {
  return migrations.flatMap((m) => [...m.template.matchAll(/ TO \{\{db\}\}\.([a-z0-9_]+)\{\{local\}\}/g)].map((x) => x[1]!));
}

/** Materialized views the migrations create. */
export function viewNames(migrations = loadMigrations()): string[] {
  return migrations.flatMap((m) =>
    [...m.template.matchAll(/CREATE MATERIALIZED VIEW IF NOT EXISTS \{\{db\}\}\.([a-z0-9_]+)/g)].map((x) => x[1]!),
  );
}

/** Tables the migrations create that writers insert into (every one has host, ts, tl_batch). */
export function tableNames(migrations = loadMigrations()): string[] {
  const rollups = new Set(rollupNames(migrations));
  return migrations.flatMap(created).filter((t) => !rollups.has(t));
}

export async function detectDialect(client: ClickHouseClient): Promise<Dialect> {
  const rs = await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
  const [row] = await rs.json<{ v: string }>();
  return dialectFor(row?.v ?? '0');
}

/** 18.16 has no ADD COLUMN IF NOT EXISTS: its "already exists" means done. */
export const columnExists = (query: string, e: unknown): boolean =>
  /^ALTER TABLE .* ADD COLUMN /s.test(query) && /column with this name already exists/.test((e as Error).message ?? '');

/** A DDL statement, tried again on a network failure: every statement here is
 * IF NOT EXISTS, so running it twice is harmless. Server exceptions are final. */
async function ddl(client: ClickHouseClient, query: string, attempts = 3): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await client.command({ query });
      return;
    } catch (e) {
      if (columnExists(query, e)) return; // an ADD COLUMN applied before its migration was recorded
      if (i >= attempts || serverRefused(e)) throw e;
      await new Promise((r) => setTimeout(r, 200 * i));
    }
  }
}

export interface ApplyResult {
  dialect: Dialect;
  applied: string[];
  skipped: string[];
  expiredPartitions: number;
  /** --insert-buffer: the Buffer tables (re)made because they were missing or their columns were not their target's */
  buffers: string[];
}

/** Applies every migration not yet recorded (of `migrations`: all, but a test may stop part-way),
 * then makes the Buffer tables (--insert-buffer) and enforces the TTL. */
export async function applySchema(
  client: ClickHouseClient,
  o: Omit<RenderOptions, 'dialect'> & { dialect?: Dialect },
  migrations = loadMigrations(),
): Promise<ApplyResult> {
  const dialect = o.dialect ?? (await detectDialect(client));
  const opts: RenderOptions = { ...o, dialect };
  const db = checkIdentifier('database', o.database);
  const [createDb] = renderAll({ ...opts }, []);
  await ddl(client, createDb!);
  // local to the node we talk to: records what this node has applied
  await ddl(
    client,
    `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, checksum String, applied_at DateTime) ENGINE = MergeTree() ORDER BY version`,
  );
  const rs = await client.query({ query: `SELECT version, checksum FROM ${db}.schema_migrations`, format: 'JSONEachRow' });
  const done = new Map((await rs.json<{ version: number; checksum: string }>()).map((r) => [Number(r.version), r.checksum]));
  const result: ApplyResult = { dialect, applied: [], skipped: [], expiredPartitions: 0, buffers: [] };
  // a migration changes the Buffer tables' targets: every Buffer table is dropped first (a DROP
  // flushes it into its target; one left behind a Distributed table that a migration re-makes
  // would discard its rows on 18.16), and made again after them (ensureBuffers)
  // (made again whether or not this sidecar inserts through them: other hosts may)
  const hadBuffers = migrations.some((m) => !done.has(m.version)) ? await bufferTablesOn(client, db) : [];
  for (const q of dropBuffers(db, onClusterOf(opts).trim(), hadBuffers)) await ddl(client, q);
  for (const m of migrations) {
    const label = `${String(m.version).padStart(3, '0')}_${m.name}`;
    const prev = done.get(m.version);
    if (prev !== undefined) {
      if (prev !== m.checksum)
        throw new TcplensError(
          'ECLICKHOUSE',
          `migration ${label} changed after it was applied to ${db} (checksum ${prev} -> ${m.checksum}); add a new migration instead`,
        );
      result.skipped.push(label);
      continue;
    }
    for (const sql of renderMigration(m, opts)) await ddl(client, sql);
    await client.insert({
      table: `${db}.schema_migrations`,
      values: [{ version: m.version, name: m.name, checksum: m.checksum, applied_at: Math.floor(Date.now() / 1000) }],
      format: 'JSONEachRow',
    });
    result.applied.push(label);
  }
  const buffered = o.insertBuffer ? tableNames(migrations) : tableNames(migrations).filter((t) => hadBuffers.includes(bufferOf(t)));
  if (buffered.length) result.buffers = await ensureBuffers(client, opts, buffered);
  result.expiredPartitions = await enforceTtl(client, opts);
  return result;
}

/** Buffer tables (<table>_buffer) of db on the node we talk to */
async function bufferTablesOn(client: ClickHouseClient, db: string): Promise<string[]> {
  const rs = await client.query({
    query: `SELECT name FROM system.tables WHERE database = '${db}' AND engine = 'Buffer' ORDER BY name`,
    format: 'JSONEachRow',
  });
  return (await rs.json<{ name: string }>()).map((r) => r.name);
}

/** Makes each missing Buffer table, and drops (flushing it) and makes again each whose columns
 * are not its target's: 18.16's ALTER of a Buffer table keeps the old block structure in its
 * buffers (inserts fail with "Block structure mismatch"), and a Buffer whose column types
 * differ from its target's discards its rows at flush. Returns the tables (re)made. */
async function ensureBuffers(client: ClickHouseClient, o: RenderOptions, tables: readonly string[]): Promise<string[]> {
  const rs = await client.query({
    query: `SELECT table, name, type, default_kind FROM system.columns WHERE database = '${checkIdentifier('database', o.database)}'`,
    format: 'JSONEachRow',
  });
  const cols = new Map<string, string[]>();
  for (const r of await rs.json<{ table: string; name: string; type: string; default_kind: string }>())
    cols.set(r.table, [...(cols.get(r.table) ?? []), `${r.name} ${r.type} ${r.default_kind}`]);
  const stale = staleBuffers(tables, cols);
  const db = checkIdentifier('database', o.database);
  const on = onClusterOf(o).trim();
  for (const q of [...dropBuffers(db, on, stale.map(bufferOf)), ...createBuffers(db, on, stale)]) await ddl(client, q);
  return stale.map(bufferOf);
}

/** Retention of raw `table` in days (0 = forever): its own in o.ttl (--ttl), else o.ttlDays (--ttl-days). */
export const ttlDaysOf = (o: Pick<RenderOptions, 'ttlDays' | 'ttl'>, table: string): number => o.ttl?.[table] ?? o.ttlDays ?? 0;

/** when a row of a table whose time is `column` expires */
const ttlExpr = (column: string, days: number): string => `${column === 'ts' ? 'toDateTime(ts)' : column} + toIntervalDay(${days})`;

export interface Kept {
  days: number;
  /** the time column its TTL reads */
  column: 'ts' | 'minute';
}

/** Days to keep per table, by the name of the table that holds the rows (<table>_local on a
 * cluster): every raw table and rollup not kept forever. */
export function retentionPlan(o: Omit<RenderOptions, 'dialect'>): Map<string, Kept> {
  const local = (t: string): string => (o.cluster ? `${t}_local` : t);
  const plan = new Map<string, Kept>();
  for (const t of tableNames()) if (ttlDaysOf(o, t) > 0) plan.set(local(t), { days: ttlDaysOf(o, t), column: 'ts' });
  const rollupDays = o.rollupTtlDays ?? ROLLUP_TTL_DAYS;
  if (rollupDays > 0) for (const t of rollupNames()) plan.set(local(t), { days: rollupDays, column: 'minute' });
  return plan;
}

/** YYYYMMDD of the day `days` days ago: day partitions (toDate()) before it are expired */
const cutoffDay = (days: number, nowMs: number): string => new Date(nowMs - days * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');

/** The statements that drop the expired day partitions of 18.16 tables (partition ids of a
 * toDate() key are YYYYMMDD): one ALTER per table, every expired partition in it. */
export function dropExpired(
  o: Omit<RenderOptions, 'dialect'>,
  parts: readonly { table: string; partition_id: string }[],
  nowMs = Date.now(),
): { statements: string[]; partitions: number } {
  const db = checkIdentifier('database', o.database);
  const plan = retentionPlan(o);
  const expired = new Map<string, Set<string>>();
  for (const p of parts) {
    const keep = plan.get(p.table);
    if (!keep || !/^\d{8}$/.test(p.partition_id) || p.partition_id >= cutoffDay(keep.days, nowMs)) continue;
    expired.set(p.table, (expired.get(p.table) ?? new Set()).add(p.partition_id));
  }
  const statements = [...expired].map(
    ([t, ids]) =>
      `ALTER TABLE ${db}.${t}${onClusterOf(o)} ${[...ids]
        .sort()
        .map((id) => `DROP PARTITION ID '${id}'`)
        .join(', ')}`,
  );
  return { statements, partitions: [...expired.values()].reduce((n, ids) => n + ids.size, 0) };
}

/** ' ON CLUSTER name' when the DDL goes through the cluster's DDL queue, else '' */
const onClusterOf = (o: Pick<RenderOptions, 'cluster' | 'onCluster'>): string =>
  o.cluster && o.onCluster !== false ? ` ON CLUSTER ${checkIdentifier('cluster', o.cluster)}` : '';

/** Modern servers: the ALTER ... MODIFY TTL of each table whose TTL (in its engine_full, from
 * system.tables) is not its retention's; none where it is (a MODIFY TTL makes newer servers
 * rewrite the table's parts). */
export function modifyTtl(o: Omit<RenderOptions, 'dialect'>, tables: readonly { name: string; engine_full: string }[]): string[] {
  const db = checkIdentifier('database', o.database);
  const engines = new Map(tables.map((r) => [r.name, r.engine_full]));
  return [...retentionPlan(o)]
    .filter(([t, k]) => !` ${engines.get(t) ?? ''} `.includes(` TTL ${ttlExpr(k.column, k.days)} `))
    .map(([t, k]) => `ALTER TABLE ${db}.${t}${onClusterOf(o)} MODIFY TTL ${ttlExpr(k.column, k.days)}`);
}

/** Keeps each table its retention (retentionPlan). Modern servers: MODIFY TTL where a
 * table's differs (a TTL clause from CREATE, changed since). 18.16 has no TTL: drop whole
 * day partitions older than the table's days instead (call this daily). With ON CLUSTER,
 * the partitions of every shard (one replica each: cluster()) and the ALTERs through the
 * DDL queue, which runs a replicated table's ALTER on one replica of each shard.
 * Returns the partitions dropped. */
export async function enforceTtl(client: ClickHouseClient, o: RenderOptions): Promise<number> {
  const db = checkIdentifier('database', o.database);
  const plan = retentionPlan(o);
  if (plan.size === 0) return 0;
  const onCluster = onClusterOf(o);
  if (o.dialect.modern) {
    const rs = await client.query({ query: `SELECT name, engine_full FROM system.tables WHERE database = '${db}'`, format: 'JSONEachRow' });
    for (const q of modifyTtl(o, await rs.json<{ name: string; engine_full: string }>())) await client.command({ query: q });
    return 0;
  }
  const from = onCluster ? `cluster('${checkIdentifier('cluster', o.cluster!)}', system, parts)` : 'system.parts';
  const rs = await client.query({
    query: `SELECT DISTINCT table, partition_id FROM ${from} WHERE database = '${db}' AND active AND table IN (${[...plan.keys()].map((t) => `'${t}'`).join(',')})`,
    format: 'JSONEachRow',
  });
  const { statements, partitions } = dropExpired(o, await rs.json<{ table: string; partition_id: string }>());
  for (const q of statements) await client.command({ query: q });
  return partitions;
}
