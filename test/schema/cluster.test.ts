// The fleet variant on two real local servers as two shards: the --cluster
// DDL (<table>_local + Distributed <table>); rows written through the sink
// into the Distributed table on one of them land on both shards and read
// back whole. Twice: with plain MergeTree locals applied on each node (no
// ZooKeeper), and as printed by default, ReplicatedMergeTree + ON CLUSTER,
// applied once through one node with a private ZooKeeper. Retention per
// table ON CLUSTER (18.16: expired day partitions dropped on every shard) on
// 2 shards x 1 replica and 2 x 2.
import { expect } from 'chai';
import { loadLibrary } from '../../src/query/library';
import { renderQuestion, type RollupUse } from '../../src/query/render';
import { parsePeer } from '../../src/query/params';
import { ClickHouseSink } from '../../src/sinks/clickhouse/sink';
import { renderAll } from '../../src/sinks/clickhouse/schema';
import { LEGACY } from '../../src/sinks/clickhouse/dialect';
import { pollCycleRows } from '../helpers/sink_rows';
import { applySchema, tableNames } from '../../src/sinks/clickhouse/schema';
import { parseTableTtl, TTL_DEFAULT } from '../../src/sinks/clickhouse/retention';
import { haveClickHouse, rows, type TestServer } from '../helpers/clickhouse';
import { haveZooKeeper } from '../helpers/zookeeper';
import { startCluster, type TestCluster } from '../helpers/cluster';

/** two servers, one shard each; with ZooKeeper, the {shard}/{replica} macros too */
async function startShards(zookeeper: boolean): Promise<TestCluster> {
  return startCluster({ name: 'tl_test', shards: 2, zookeeper });
}

/** writes N rows through the Distributed poll_cycles on servers[0]; checks both shards got some, all once */
async function writeAndCheck(servers: TestServer[], db: string): Promise<void> {
  const sink = new ClickHouseSink({
    clickhouse: { url: servers[0]!.url, user: 'default', password: '', database: db },
    host: 'fleet-1',
    flushIntervalMs: 50,
  });
  await sink.start();
  const N = 2000;
  for (let b = 0; b < 10; b++) {
    sink.writePollCycles(pollCycleRows(N / 10, b * (N / 10)));
  }
  await sink.close();
  expect(sink.stats().tables['poll_cycles']!.rows_written).to.equal(N);
  // 18.16 forwards Distributed inserts to the shards in the background
  const local = async (s: TestServer): Promise<number> =>
    Number((await rows<{ n: string }>(s.client, `SELECT count() AS n FROM ${db}.poll_cycles_local`))[0]!.n);
  const deadline = Date.now() + 20_000;
  let counts = [0, 0];
  while (Date.now() < deadline) {
    counts = await Promise.all(servers.map(local));
    if (counts[0]! + counts[1]! >= N) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(counts[0]! + counts[1]!).to.equal(N);
  expect(counts[0]).to.be.greaterThan(0);
  expect(counts[1]).to.be.greaterThan(0);
  for (const s of servers) {
    const [all] = await rows<{ n: string; u: string }>(s.client, `SELECT count() AS n, uniqExact(sockets) AS u FROM ${db}.poll_cycles`);
    expect([Number(all!.n), Number(all!.u)]).to.deep.equal([N, N]);
  }
}

/** --ttl's default ON CLUSTER through the first node: shard 1 holds rows 0 and 10 days old,
 * shard 2 rows 0 and 100 days old (written to one replica's local tables); after apply each
 * replica of each shard keeps what its retention keeps (snapshots 7 days, flows 90). */
async function retentionOnCluster(c: TestCluster): Promise<void> {
  const servers = c.servers;
  const replicas = servers.length / 2;
  const db = servers[0]!.freshDb('ttlc');
  await applySchema(servers[0]!.client, { database: db, cluster: c.name, ttlDays: 0 });
  const now = Math.floor(Date.now() / 1000);
  const ages = [
    [0, 10],
    [0, 100],
  ];
  for (const shard of [0, 1]) {
    const s = servers[shard * replicas]!;
    const values = ages[shard]!.map((a) => `('s${shard}', ${now - a * 86_400}, ${a})`).join(', ');
    await s.client.command({ query: `INSERT INTO ${db}.tcp_snapshots_local (host, ts, tcpi_rtt) VALUES ${values}` });
    await s.client.command({ query: `INSERT INTO ${db}.tcp_flows_local (host, ts, dport) VALUES ${values}` });
  }
  const left = async (s: TestServer): Promise<number[][]> => [
    (await rows<{ a: number }>(s.client, `SELECT tcpi_rtt AS a FROM ${db}.tcp_snapshots_local ORDER BY a`)).map((x) => Number(x.a)),
    (await rows<{ a: number }>(s.client, `SELECT dport AS a FROM ${db}.tcp_flows_local ORDER BY a`)).map((x) => Number(x.a)),
  ];
  const settled = async (want: (i: number) => number[][]): Promise<number[][][]> => {
    // a replica fetches its shard's parts, and drops them, in the background
    const deadline = Date.now() + 20_000;
    let got: number[][][] = [];
    do {
      got = await Promise.all(servers.map(left));
      if (JSON.stringify(got) === JSON.stringify(servers.map((_, i) => want(i)))) break;
      await new Promise((r) => setTimeout(r, 200));
    } while (Date.now() < deadline);
    return got;
  };
  const before = (i: number): number[][] => [ages[c.shardOf(i)]!, ages[c.shardOf(i)]!];
  expect(await settled(before)).to.deep.equal(servers.map((_, i) => before(i)));
  const r = await applySchema(servers[0]!.client, { database: db, cluster: c.name, ttlDays: 30, ...parseTableTtl(TTL_DEFAULT) });
  expect(r.expiredPartitions).to.equal(3); // snapshots (7 days): 10 days old on shard 1, 100 on shard 2; flows (90): 100 on shard 2
  const after = (i: number): number[][] => (c.shardOf(i) === 0 ? [[0], [0, 10]] : [[0], [0]]);
  expect(await settled(after)).to.deep.equal(servers.map((_, i) => after(i)));
}

describe('cluster schema: two shards behind a Distributed table', function () {
  this.timeout(120_000);

  describe('plain MergeTree locals, DDL applied on each node', () => {
    const servers: TestServer[] = [];
    let cluster: TestCluster | undefined;
    before(async function () {
      if (!haveClickHouse()) {
        this.skip();
        return;
      } // bootstrap.sh installs clickhouse-server; CI has it
      cluster = await startShards(false);
      servers.push(...cluster.servers);
    });
    after(async () => {
      await cluster?.cleanup();
    });

    it('rows written through the Distributed table reach both shards, none lost or doubled', async () => {
      const db = servers[0]!.freshDb('dist');
      const ddl = renderAll({ database: db, dialect: LEGACY, cluster: 'tl_test', replicated: false, onCluster: false });
      expect(ddl.some((s) => s.includes(`ENGINE = Distributed(tl_test, ${db}, poll_cycles_local, rand())`))).to.equal(true);
      for (const s of servers) for (const stmt of ddl) await s.client.command({ query: stmt });
      await writeAndCheck(servers, db);
    });

    it('a saved question with PREWHERE on peer_addr (010) reads both shards through the Distributed tcp_flows', async () => {
      const db = servers[0]!.freshDb('qd');
      const ddl = renderAll({ database: db, dialect: LEGACY, cluster: 'tl_test', replicated: false, onCluster: false });
      for (const s of servers) for (const stmt of ddl) await s.client.command({ query: stmt });
      const now = Math.floor(Date.now() / 1000);
      // one shard holds 10.0.0.2, the other 10.0.0.3 and an address outside the range
      await servers[0]!.client.command({
        query: `INSERT INTO ${db}.tcp_flows_local (host, ts, idiag_family, src, dst, comm, tcpi_bytes_acked) VALUES ('a', ${now}, 2, '10.9.0.1', '10.0.0.2', 'x', 5)`,
      });
      await servers[1]!.client.command({
        query: `INSERT INTO ${db}.tcp_flows_local (host, ts, idiag_family, src, dst, comm, tcpi_bytes_acked) VALUES ('b', ${now}, 2, '10.9.0.1', '10.0.0.3', 'y', 7), ('b', ${now}, 2, '10.9.0.1', '10.0.1.3', 'z', 9)`,
      });
      const q = renderQuestion(loadLibrary().get('who-talked')!, {
        database: db,
        dialect: LEGACY,
        filters: { since: BigInt(now - 60), until: BigInt(now + 60), peer: parsePeer('10.0.0.0/24') },
      });
      expect(q.sql).to.include('PREWHERE');
      const got = await rows<{ comm: string; peer: string; bytes_out: string }>(servers[0]!.client, q.sql);
      expect(got.map((r) => [r.comm, r.peer, Number(r.bytes_out)]).sort()).to.deep.equal([
        ['x', '10.0.0.2', 5],
        ['y', '10.0.0.3', 7],
      ]);
    });

    it('slow-endpoints reads the rollup (011) of both shards and equals the raw rows; rtt-by-peer the raw polls', async () => {
      const db = servers[0]!.freshDb('qr');
      const ddl = renderAll({ database: db, dialect: LEGACY, cluster: 'tl_test', replicated: false, onCluster: false });
      for (const s of servers) for (const stmt of ddl) await s.client.command({ query: stmt });
      const now = Math.floor(Date.now() / 1000);
      // through the Distributed table, as the sink writes: one socket's polls land on both shards
      // (synchronously: 18.16's background sender backs off up to 30 s after a failed send,
      // and a loaded CI machine once left a shard empty past the 20 s wait below)
      const N = 3000;
      await servers[0]!.client.command({
        clickhouse_settings: { insert_distributed_sync: 1 } as never,
        query: `INSERT INTO ${db}.tcp_snapshots (host, ts, view, src, dst, idiag_cookie, netns_inode, tcpi_rtt, tcpi_min_rtt,
            tcpi_rwnd_limited, tcpi_snd_wnd, tcpi_len, idiag_rqueue, idiag_wqueue, sport, dport, idiag_state)
          SELECT 'h', toDateTime(${now - 300} + number % 290), 'poll', IPv4ToIPv6(toUInt32(167772161)), IPv4ToIPv6(toUInt32(167772416 + number % 7)),
            intDiv(number, 30), 1, 100 + number % 997, 50 + number % 31, number * 10, number % 9, 232, number % 13, number % 5,
            40000 + intDiv(number, 30), 443 + number % 7, 1
          FROM system.numbers LIMIT ${N}`,
      });
      const local = async (s: TestServer, t: string): Promise<number> =>
        Number((await rows<{ n: string }>(s.client, `SELECT count() AS n FROM ${db}.${t}_local`))[0]!.n);
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && (await local(servers[0]!, 'tcp_snapshots')) + (await local(servers[1]!, 'tcp_snapshots')) < N)
        await new Promise((r) => setTimeout(r, 200));
      for (const s of servers) {
        // each shard rolled up its own rows, into both views
        expect(await local(s, 'tcp_sock_1m'), s.url).to.be.greaterThan(0);
        expect(await local(s, 'tcp_rtt_1m'), s.url).to.be.greaterThan(0);
      }
      const lib = loadLibrary();
      const f = { since: BigInt(now - 317), until: BigInt(now + 1) };
      for (const name of ['slow-endpoints', 'rtt-by-peer']) {
        const ask = async (rollups: RollupUse): Promise<unknown[]> =>
          rows(
            servers[1]!.client,
            renderQuestion(lib.get(name)!, { database: db, dialect: LEGACY, filters: f, rollups, params: { limit: '10000' } }).sql,
          );
        const raw = await ask('off');
        expect(raw.length, name).to.be.greaterThan(0);
        expect(await ask({ coveredFrom: 0n }), name).to.deep.equal(raw);
        expect(await ask('auto'), name).to.deep.equal(raw); // the views are new: raw rows only, through the same SQL
      }
    });

    it('inserts through the Distributed tables that leave out columns with defaults reach the shards and the views', async () => {
      const db = servers[0]!.freshDb('qm');
      const ddl = renderAll({ database: db, dialect: LEGACY, cluster: 'tl_test', replicated: false, onCluster: false });
      for (const s of servers) for (const stmt of ddl) await s.client.command({ query: stmt });
      const now = Math.floor(Date.now() / 1000);
      // 008's columns (DEFAULT 0, CAST to UInt64 by the server) filled on the shards, 009's and 011's views fed
      const blocks = [
        `INSERT INTO ${db}.tcp_flows (host, ts, idiag_family, src, dst, dport, tcpi_rtt) SELECT 'a', ${now}, 2, '10.9.0.1', '10.0.0.2', 443, 100 FROM system.numbers LIMIT 500`,
        `INSERT INTO ${db}.tcp_flows (host, ts, idiag_family, src, dst, tcpi_rwnd_limited) SELECT 'b', ${now}, 2, '10.9.0.1', '10.0.0.3', number FROM system.numbers LIMIT 500`,
        `INSERT INTO ${db}.tcp_snapshots (host, ts, view, dst, idiag_cookie, idiag_state, tcpi_rtt) SELECT 'a', ${now}, 'poll', IPv4ToIPv6(toUInt32(167772162)), number, 1, 100 FROM system.numbers LIMIT 500`,
        `INSERT INTO ${db}.tcp_snapshots (host, ts, idiag_cookie, idiag_state, tcpi_rwnd_limited) SELECT 'b', ${now}, number, 1, number FROM system.numbers LIMIT 500`,
      ];
      for (let i = 0; i < 5; i++) for (const [k, q] of blocks.entries()) await servers[(i + k) % 2]!.client.command({ query: q });
      const count = async (t: string): Promise<number> =>
        (
          await Promise.all(
            servers.map(async (s) => Number((await rows<{ n: string }>(s.client, `SELECT count() AS n FROM ${db}.${t}`))[0]!.n)),
          )
        ).reduce((a, b) => a + b, 0);
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && (await count('tcp_flows_local')) + (await count('tcp_snapshots_local')) < 10_000)
        await new Promise((r) => setTimeout(r, 200));
      expect([await count('tcp_flows_local'), await count('tcp_snapshots_local')]).to.deep.equal([5000, 5000]);
      const [sums] = await rows<{ rwnd: string; hs: string }>(
        servers[0]!.client,
        `SELECT sum(tcpi_rwnd_limited) AS rwnd, sum(handshake) AS hs FROM ${db}.tcp_flows`,
      );
      expect([Number(sums!.rwnd), Number(sums!.hs)]).to.deep.equal([5 * 124_750, 5000 * 2]); // the given values; handshake's DEFAULT 2
      const [views] = await rows<{ flows: string; polls: string; socks: string }>(
        servers[0]!.client,
        `SELECT (SELECT countMerge(flows) FROM ${db}.tcp_peer_1m) AS flows, (SELECT countMerge(polls) FROM ${db}.tcp_rtt_1m) AS polls,
          (SELECT uniqExact(host, idiag_cookie) FROM ${db}.tcp_sock_1m) AS socks`,
      );
      expect([Number(views!.flows), Number(views!.polls), Number(views!.socks)]).to.deep.equal([5000, 2500, 1000]);
    });
  });

  describe('ReplicatedMergeTree + ON CLUSTER (the default --cluster DDL) with ZooKeeper', () => {
    const servers: TestServer[] = [];
    let cluster: TestCluster | undefined;
    before(async function () {
      // bootstrap.sh installs clickhouse-server and zookeeper; CI has both
      if (!haveClickHouse() || !haveZooKeeper()) {
        this.skip();
        return;
      }
      cluster = await startShards(true);
      servers.push(...cluster.servers);
    });
    afterEach(function () {
      if (this.currentTest?.state === 'failed') for (const s of servers) console.log(`--- ${s.url} error.log:\n${s.errorLog()}`);
    });
    after(async () => {
      await cluster?.cleanup();
    });

    it('schema apply --cluster through one node creates the tables on both; rows reach both shards once', async () => {
      const db = servers[0]!.freshDb('repl');
      const r = await applySchema(servers[0]!.client, { database: db, cluster: 'tl_test' });
      expect(r.applied.length).to.be.greaterThan(0);
      for (const s of servers) {
        const t = await rows<{ name: string; engine: string }>(
          s.client,
          `SELECT name, engine FROM system.tables WHERE database = '${db}' AND name != 'schema_migrations'`,
        );
        const engines = new Map(t.map((x) => [x.name, x.engine]));
        for (const name of tableNames()) {
          expect(engines.get(`${name}_local`), `${name}_local`).to.equal('ReplicatedMergeTree');
          expect(engines.get(name), name).to.equal('Distributed');
        }
      }
      await writeAndCheck(servers, db);
    });

    it('retention per table, ON CLUSTER on 18.16: each shard drops its own expired day partitions, even ones the node asked lacks', async () => {
      await retentionOnCluster(cluster!);
    });
  });

  describe('2 shards x 2 replicas with ZooKeeper', () => {
    let cluster: TestCluster | undefined;
    before(async function () {
      if (!haveClickHouse() || !haveZooKeeper()) {
        this.skip();
        return;
      }
      cluster = await startCluster({ name: 'tl_test', shards: 2, replicas: 2 });
    });
    after(async () => {
      await cluster?.cleanup();
    });

    it('retention per table: the ON CLUSTER drop runs on one replica of each shard and replicates to the other', async () => {
      await retentionOnCluster(cluster!);
    });
  });
});
