// --insert-buffer on a real 18.16: a Buffer table <table>_buffer in front of
// each table writers insert into, with its target's columns after every
// migration (18.16's ALTER of a Buffer table breaks its inserts, so they are
// dropped, which flushes them, and made again); rows inserted into them
// reach the target and its rollup when the buffer flushes (by time on one
// server; by OPTIMIZE on a 2-shard cluster, ON CLUSTER, in front of the
// Distributed tables), never before, and none is lost across a migration.
import { expect } from 'chai';
import { ClickHouseSink } from '../../src/sinks/clickhouse/sink';
import { LEGACY } from '../../src/sinks/clickhouse/dialect';
import { applySchema, loadMigrations, tableNames } from '../../src/sinks/clickhouse/schema';
import { BUFFER, bufferOf } from '../../src/sinks/clickhouse/buffer_tables';
import { pollCycleRows } from '../helpers/sink_rows';
import { haveClickHouse, rows, sharedServer } from '../helpers/clickhouse';
import { haveZooKeeper } from '../helpers/zookeeper';
import { startCluster, type TestCluster } from '../helpers/cluster';
import type { ClickHouseClient } from '@clickhouse/client';

const count = async (c: ClickHouseClient, q: string): Promise<number> => Number((await rows<{ n: string }>(c, q))[0]!.n);

/** engine and columns (name type kind, in order) of every table of db */
async function tablesOf(c: ClickHouseClient, db: string): Promise<Map<string, { engine: string; cols: string }>> {
  const t = await rows<{ name: string; engine: string }>(c, `SELECT name, engine FROM system.tables WHERE database = '${db}'`);
  const cols = await rows<{ table: string; name: string; type: string; default_kind: string }>(
    c,
    `SELECT table, name, type, default_kind FROM system.columns WHERE database = '${db}'`,
  );
  return new Map(
    t.map((x) => [
      x.name,
      {
        engine: x.engine,
        cols: cols
          .filter((k) => k.table === x.name)
          .map((k) => `${k.name} ${k.type} ${k.default_kind}`)
          .join(', '),
      },
    ]),
  );
}

/** every table writers insert into has a Buffer table with exactly its columns */
function expectBuffers(tables: Map<string, { engine: string; cols: string }>, names: readonly string[]): void {
  for (const t of names) {
    const b = tables.get(bufferOf(t));
    expect(b?.engine, bufferOf(t)).to.equal('Buffer');
    expect(b!.cols, bufferOf(t)).to.equal(tables.get(t)!.cols);
  }
}

const flowsInsert = (db: string, host: string, n: number, table = 'tcp_flows_buffer'): string => {
  const ts = Math.floor(Date.now() / 1000);
  const v = Array.from({ length: n }, (_, i) => `('${host}', ${ts}, '10.0.0.${i % 3}', 443, ${1000 + i}, ${i % 4}, ${100 + i})`);
  return `INSERT INTO ${db}.${table} (host, ts, dst, dport, tcpi_bytes_acked, tcpi_total_retrans, tcpi_rtt) VALUES ${v.join(',')}`;
};

describe('--insert-buffer: Buffer tables in front of the tables (18.16)', function () {
  this.timeout(180_000);
  const t = sharedServer();

  it('after every migration each Buffer table has its target columns; a migration flushes, loses no buffered row', async () => {
    const all = loadMigrations();
    const db = t.freshDb('buf');
    let waiting = 0;
    for (let k = 1; k <= all.length; k++) {
      if (k > 1) {
        // a row in the buffer (min_time 10 s: not flushed yet) while the next migration changes its target
        await t.client.command({ query: `INSERT INTO ${db}.tcp_snapshots_buffer (host, ts, view) VALUES ('m${k}', now(), 'poll')` });
        waiting++;
      }
      const r = await applySchema(t.client, { database: db, ttlDays: 0, insertBuffer: true }, all.slice(0, k));
      expect(r.applied, `migration ${k}`).to.have.length(1);
      const names = tableNames(all.slice(0, k));
      expectBuffers(await tablesOf(t.client, db), names);
      // made when new or when their target changed (the drop before the migration flushed them)
      expect(r.buffers.length, `migration ${k}`).to.be.greaterThan(0);
    }
    expect(await count(t.client, `SELECT count() AS n FROM ${db}.tcp_snapshots`)).to.equal(waiting);
    const again = await applySchema(t.client, { database: db, ttlDays: 0, insertBuffer: true });
    expect([again.applied, again.buffers]).to.deep.equal([[], []]);
    // a column added by a later migration (007's trigger) is insertable through the buffer
    await t.client.command({
      query: `INSERT INTO ${db}.tcp_snapshots_buffer (host, ts, view, trigger) VALUES ('x', now(), 'poll', 'open')`,
    });
    expect(await count(t.client, `SELECT count() AS n FROM ${db}.tcp_snapshots_buffer WHERE trigger = 'open'`)).to.equal(1);
  });

  it('a sidecar without --insert-buffer that applies a migration makes the Buffer tables it dropped again (other hosts insert into them)', async () => {
    const all = loadMigrations();
    const db = t.freshDb('bufother');
    await applySchema(t.client, { database: db, ttlDays: 0, insertBuffer: true }, all.slice(0, all.length - 1));
    const r = await applySchema(t.client, { database: db, ttlDays: 0 });
    expect(r.applied).to.have.length(1);
    expect(r.buffers.length).to.be.greaterThan(0);
    expectBuffers(await tablesOf(t.client, db), tableNames(all.slice(0, all.length - 1)));
    // without the flag, none is made where none was
    const plain = t.freshDb('bufnone');
    await applySchema(t.client, { database: plain, ttlDays: 0 });
    expect([...(await tablesOf(t.client, plain)).values()].filter((x) => x.engine === 'Buffer')).to.deep.equal([]);
  });

  it('rows written through the sink reach the target and the rollup when the buffer flushes, not before', async () => {
    const db = t.freshDb('bufrows');
    await applySchema(t.client, { database: db, ttlDays: 0, insertBuffer: true });
    const sink = new ClickHouseSink({
      clickhouse: { url: t.url, user: 'default', password: '', database: db },
      host: 'h1',
      dialect: LEGACY,
      flushIntervalMs: 50,
      insertBuffer: true,
    });
    await sink.start();
    const N = 300;
    sink.writePollCycles(pollCycleRows(N, 0));
    await sink.close();
    expect(sink.stats().tables['poll_cycles']!.rows_written).to.equal(N);
    await t.client.command({ query: flowsInsert(db, 'h1', 30) });
    const t0 = Date.now();
    // in the buffers: the Buffer tables show them, their targets (and the rollup) not yet
    expect(await count(t.client, `SELECT count() AS n FROM ${db}.poll_cycles_buffer`)).to.equal(N);
    expect(await count(t.client, `SELECT count() AS n FROM ${db}.poll_cycles`)).to.equal(0);
    expect(await count(t.client, `SELECT countMerge(flows) AS n FROM ${db}.tcp_peer_1m`)).to.equal(0);
    let got = [0, 0];
    while (Date.now() - t0 < (BUFFER.maxTimeS + 15) * 1000) {
      got = [
        await count(t.client, `SELECT count() AS n FROM ${db}.poll_cycles`),
        await count(t.client, `SELECT countMerge(flows) AS n FROM ${db}.tcp_peer_1m`),
      ];
      if (got[0] === N && got[1] === 30) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(got).to.deep.equal([N, 30]);
    expect(Date.now() - t0).to.be.above((BUFFER.minTimeS - 2) * 1000); // flushed by the buffer's own clock
    expect(await count(t.client, `SELECT count() AS n FROM ${db}.tcp_flows`)).to.equal(30);
  });

  describe('2 shards with ZooKeeper, ON CLUSTER', () => {
    let cluster: TestCluster | undefined;
    before(async function () {
      this.timeout(120_000);
      if (!haveClickHouse() || !haveZooKeeper()) {
        this.skip();
        return;
      }
      cluster = await startCluster({ name: 'tl_test', shards: 2, zookeeper: true });
    });
    after(async () => {
      await cluster?.cleanup();
    });

    it('every node has Buffer tables in front of the Distributed ones; flushed rows reach both shards and their rollups once', async () => {
      const servers = cluster!.servers;
      const db = servers[0]!.freshDb('bufc');
      const r = await applySchema(servers[0]!.client, { database: db, cluster: 'tl_test', ttlDays: 0, insertBuffer: true });
      expect(r.buffers).to.have.members(tableNames().map(bufferOf));
      for (const s of servers) {
        const tables = await tablesOf(s.client, db);
        expectBuffers(tables, tableNames());
        for (const n of tableNames()) expect(tables.get(n)!.engine).to.equal('Distributed');
      }
      const N = 200;
      await servers[1]!.client.command({ query: flowsInsert(db, 'h2', N) });
      expect(await count(servers[1]!.client, `SELECT count() AS n FROM ${db}.tcp_flows_buffer`)).to.equal(N);
      // OPTIMIZE flushes a Buffer table now (the time-based flush is the test above)
      await servers[1]!.client.command({ query: `OPTIMIZE TABLE ${db}.tcp_flows_buffer` });
      const deadline = Date.now() + 30_000;
      let local = [0, 0];
      let rolled = [0, 0];
      while (Date.now() < deadline) {
        local = await Promise.all(servers.map((s) => count(s.client, `SELECT count() AS n FROM ${db}.tcp_flows_local`)));
        rolled = await Promise.all(servers.map((s) => count(s.client, `SELECT countMerge(flows) AS n FROM ${db}.tcp_peer_1m_local`)));
        if (local[0]! + local[1]! >= N && rolled[0]! + rolled[1]! >= N) break;
        await new Promise((res) => setTimeout(res, 300));
      }
      expect(local[0]! + local[1]!).to.equal(N);
      expect(local[0]).to.be.above(0);
      expect(local[1]).to.be.above(0);
      expect(rolled).to.deep.equal(local); // each shard's rollup has its own shard's rows
    });
  });
});
