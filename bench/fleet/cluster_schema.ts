// The --cluster schema applied node by node (no ON CLUSTER: through 18.16's DDL
// queue that takes seconds a statement, most of a short bench), statement by
// statement in step, the way ON CLUSTER orders it:
// - an ALTER ... ADD COLUMN of a replicated local table runs on ONE replica of
//   each shard; ReplicatedMergeTree carries it to the other replicas through
//   ZooKeeper, and the ALTER returns once every replica has applied it;
// - every other statement (CREATE of each node's local table, its view, its
//   Distributed table) runs on the first replica of every shard, then on the others.
// Running the replicated ALTERs on both replicas of a shard at once (what this
// bench did before) races in 18.16 (docs/schema.md, "Replicated ALTER"): each
// replica writes the shard's column list to ZooKeeper unconditionally from its
// own local list, so one can drop the other's new column ("No such column
// tcpi_min_rtt" on inserts), and the replica's ALTER check reads its columns and
// their defaults apart while its replication thread changes them, so it sees a
// column's default without the column (Code 179: different expressions with the
// same alias tcpi_rwnd_limited_tmp: CAST(0, 'UInt64') and 0).
import type { ClickHouseClient } from '@clickhouse/client';
import { LEGACY } from '../../src/sinks/clickhouse/dialect';
import { columnExists, renderAll } from '../../src/sinks/clickhouse/schema';
import type { TestCluster } from '../../test/helpers/cluster';
import { serverRefused } from '../../src/sinks/clickhouse/retry';
import { retried, rows } from './probe';

const isAlter = (q: string): boolean => /^ALTER TABLE \S+ (ON CLUSTER \S+ )?ADD COLUMN /.test(q);

/** a DDL statement on one node; "column already exists" (another replica's ADD COLUMN) is done */
export async function ddlOn(client: ClickHouseClient, q: string): Promise<void> {
  await client.command({ query: q }).catch((e: unknown) => {
    if (!columnExists(q, e)) throw e;
  });
}

/** ddlOn, sent again when no answer came (a loaded server dropped the connection; every
 * statement is IF NOT EXISTS or an ADD COLUMN), as schema.ts's apply does; a server's
 * exception is final. (alter_race.ts counts such failures: it calls ddlOn itself.) */
const ddlOnRetried = (client: ClickHouseClient, q: string): Promise<void> =>
  retried(
    () => ddlOn(client, q),
    (e) => !serverRefused(e),
  );

/** Every node's columns, as one text per node: name, type, default of each column of each table of db. */
export async function nodeColumns(c: TestCluster, db: string): Promise<string[]> {
  return Promise.all(
    c.servers.map(async (s) =>
      (
        await rows<{ t: string; n: string; ty: string; k: string; e: string }>(
          s.client,
          `SELECT table AS t, name AS n, type AS ty, default_kind AS k, default_expression AS e FROM system.columns WHERE database = '${db}' ORDER BY t, n`,
        )
      )
        .map((r) => `${r.t}.${r.n} ${r.ty} ${r.k} ${r.e}`)
        .join('\n'),
    ),
  );
}

/** Applies the replicated --cluster schema of db on every node of c (with the Buffer
 * tables of --insert-buffer, made after every migration: renderAll); throws
 * unless every node then has the same tables and columns (before any writer starts). */
export async function applyClusterSchema(c: TestCluster, db: string, replicas: number, insertBuffer = false): Promise<void> {
  const ddl = renderAll({ database: db, dialect: LEGACY, cluster: c.name, replicated: true, onCluster: false, insertBuffer });
  const first = c.servers.filter((_, i) => i % replicas === 0);
  const others = c.servers.filter((_, i) => i % replicas !== 0);
  for (const q of ddl) {
    await Promise.all(first.map((s) => ddlOnRetried(s.client, q)));
    if (!isAlter(q)) await Promise.all(others.map((s) => ddlOnRetried(s.client, q)));
  }
  const diff = columnsDiff(await nodeColumns(c, db));
  if (diff) throw new Error(`schema of ${db} differs between nodes after apply: ${diff}`);
}

/** '' when every node's columns (nodeColumns) are node 0's; else the first few differences */
export function columnsDiff(cols: string[]): string {
  const base = new Set(cols[0]!.split('\n'));
  const out: string[] = [];
  cols.forEach((x, i) => {
    const mine = new Set(x.split('\n'));
    for (const l of base) if (!mine.has(l)) out.push(`node ${i} lacks ${l}`);
    for (const l of mine) if (!base.has(l)) out.push(`node ${i} only: ${l}`);
  });
  return out.slice(0, 6).join('; ');
}
