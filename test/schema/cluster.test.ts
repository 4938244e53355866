// The fleet variant on two real local servers as two shards: `schema print
// --cluster` DDL (<table>_local + Distributed <table>) applied on each, rows
// written through the sink into the Distributed table on one of them land on
// both shards and read back whole. Plain MergeTree locals and no ON CLUSTER:
// ReplicatedMergeTree and distributed DDL need ZooKeeper, which this test
// does not start (the Replicated rendering is checked in render.test.ts).
import { expect } from 'chai';
import { ClickHouseSink } from '../../src/sinks/clickhouse/sink';
import { renderAll } from '../../src/sinks/clickhouse/schema';
import { LEGACY } from '../../src/sinks/clickhouse/dialect';
import type { PollCycleRow } from '../../src/sinks/clickhouse/encoders';
import { haveClickHouse, rows, startTestServer, testPorts, type TestServer } from '../helpers/clickhouse';

const remoteServers = (tcp: number[]): string =>
  `<remote_servers><tl_test>${tcp.map((p) => `<shard><replica><host>127.0.0.1</host><port>${p}</port></replica></shard>`).join('')}</tl_test></remote_servers>`;

describe('cluster schema: two shards behind a Distributed table', function () {
  this.timeout(90_000);
  const servers: TestServer[] = [];
  before(async function () {
    if (!haveClickHouse()) { this.skip(); return; } // bootstrap.sh installs clickhouse-server; CI has it
    const ports = [await testPorts(), await testPorts()];
    const extraConfig = remoteServers(ports.map((p) => p.tcp));
    for (const p of ports) servers.push(await startTestServer({ ports: p, extraConfig }));
  });
  after(async () => { for (const s of servers) await s.cleanup(); });

  it('rows written through the Distributed table reach both shards, none lost or doubled', async () => {
    const db = servers[0]!.freshDb('dist');
    const ddl = renderAll({ database: db, dialect: LEGACY, cluster: 'tl_test', replicated: false, onCluster: false });
    expect(ddl.some((s) => s.includes(`ENGINE = Distributed(tl_test, ${db}, poll_cycles_local, rand())`))).to.equal(true);
    for (const s of servers) for (const stmt of ddl) await s.client.command({ query: stmt });
    const sink = new ClickHouseSink({ clickhouse: { url: servers[0]!.url, user: 'default', password: '', database: db }, host: 'fleet-1', flushIntervalMs: 50 });
    await sink.start();
    const ts = BigInt(Date.now()) * 1_000_000n;
    const N = 2000;
    for (let b = 0; b < 10; b++) {
      sink.writePollCycles(Array.from({ length: N / 10 }, (_, j): PollCycleRow => ({ ts_ns: ts, netns_inode: 1, netns_name: 'x', duration_us: 0, sockets: b * (N / 10) + j, batches: 0, bytes: 0, errors: 0, errno: 0, error_code: '' })));
    }
    await sink.close();
    expect(sink.stats().tables['poll_cycles']!.rows_written).to.equal(N);
    // 18.16 forwards Distributed inserts to the shards in the background
    const local = async (s: TestServer): Promise<number> => Number((await rows<{ n: string }>(s.client, `SELECT count() AS n FROM ${db}.poll_cycles_local`))[0]!.n);
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
  });
});
