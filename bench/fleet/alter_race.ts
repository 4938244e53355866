// The replicated-ALTER race behind bench/fleet's flaky schema (cluster_schema.ts):
// a private 2x2 cluster (18.16, ZooKeeper); K fresh databases get the --cluster
// schema the old way (every statement on all four nodes at once, each node in
// order: both replicas of a shard ALTER the same table together) and K more the
// way cluster_schema.ts applies it. For each: the error, if any, and whether
// every node ended with the same columns. Prints the counts of both ways.
// --throttle PCT puts the four servers in a cgroup (v1 cpu controller) held to
// PCT% of one core: their threads then wait for the CPU in bursts, as on a
// loaded machine (where the smoke failed), without loading this one.
// Usage: node dist/bench/fleet/alter_race.js [--runs K] [--throttle PCT]   (default 10, none)
import * as fs from 'fs';
import { LEGACY } from '../../src/sinks/clickhouse/dialect';
import { renderAll } from '../../src/sinks/clickhouse/schema';
import { startCluster, type TestCluster } from '../../test/helpers/cluster';
import { applyClusterSchema, columnsDiff, ddlOn, nodeColumns } from './cluster_schema';

/** the old bench/fleet schema(): all nodes at once, each running every statement in order */
async function allAtOnce(c: TestCluster, db: string): Promise<void> {
  const ddl = renderAll({ database: db, dialect: LEGACY, cluster: c.name, replicated: true, onCluster: false });
  await Promise.all(
    c.servers.map(async (s) => {
      for (const q of ddl) await ddlOn(s.client, q);
    }),
  );
}

async function trial(c: TestCluster, db: string, apply: () => Promise<void>): Promise<string> {
  try {
    await apply();
  } catch (e) {
    return `error: ${((e as Error).message ?? String(e)).split('\n')[0]!.slice(0, 160)}`;
  }
  const diff = columnsDiff(await nodeColumns(c, db));
  return diff ? `nodes differ: ${diff}` : 'ok';
}

const CGROUP = `/sys/fs/cgroup/cpu/tl-race-${process.pid}`;

/** the servers into a cgroup of their own at pct% of a core */
function throttle(c: TestCluster, pct: number): void {
  fs.mkdirSync(CGROUP);
  fs.writeFileSync(`${CGROUP}/cpu.cfs_period_us`, '100000');
  fs.writeFileSync(`${CGROUP}/cpu.cfs_quota_us`, String(pct * 1000));
  for (const s of c.servers) fs.writeFileSync(`${CGROUP}/cgroup.procs`, String(s.server.runningPid()));
}

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  const v = i > 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 0) {
    process.stderr.write(`alter_race: ${name}: a whole number >= 0\n`);
    process.exit(2);
  }
  return v;
}

async function main(): Promise<void> {
  const runs = flag('--runs', 10);
  const pct = flag('--throttle', 0);
  const c = await startCluster({ name: 'tl_race', shards: 2, replicas: 2 });
  const stop = async (): Promise<void> => {
    await c.cleanup();
    if (pct > 0 && fs.existsSync(CGROUP)) fs.rmdirSync(CGROUP); // empty: its servers are gone
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stop().then(() => process.exit(130)));
  try {
    if (pct > 0) throttle(c, pct);
    for (const way of ['all-at-once', 'in-step'] as const) {
      const seen = new Map<string, number>();
      for (let k = 0; k < runs; k++) {
        const db = `race_${way.replace(/-/g, '_')}_${k}`;
        const r = await trial(c, db, () => (way === 'all-at-once' ? allAtOnce(c, db) : applyClusterSchema(c, db, 2)));
        // counted by kind: ok, nodes differ, or the error without the database's name
        const kind = r.startsWith('nodes differ') ? 'nodes differ' : r.replace(/race_[a-z_]+_\d+/g, 'DB').slice(0, 140);
        seen.set(kind, (seen.get(kind) ?? 0) + 1);
        console.log(`${way} ${k}: ${r}`);
      }
      console.log(`${way}: ${[...seen].map(([r, n]) => `${n}/${runs} ${r}`).join('; ')}`);
    }
  } finally {
    await stop();
  }
}

void main().catch((e) => {
  process.stderr.write(`alter_race: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
