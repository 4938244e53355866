// Migration 009's rollup on a real 18.16 server: flows inserted into
// tcp_flows are rolled up per minute, host, peer and port by the materialized
// view (flows, bytes, retransmits, resets, RTT quantiles), and merging the
// states gives the same figures as the raw rows; old rollup partitions are
// dropped at the rollup's own retention, not the raw tables'.
import { expect } from 'chai';
import { applySchema, ROLLUP_TTL_DAYS } from '../../src/sinks/clickhouse/schema';
import { rows, sharedServer, freshSchemaDb } from '../helpers/clickhouse';

describe('rollups (009): tcp_peer_1m per minute, host and peer', function () {
  this.timeout(60_000);
  const t = sharedServer();

  it('the view rolls flows up; the merged states equal the raw aggregates', async () => {
    const db = await freshSchemaDb(t, 'roll', { ttlDays: 0 });
    const m = Math.floor(Date.now() / 60_000) * 60; // a minute boundary
    const values: string[] = [];
    for (let i = 0; i < 30; i++) {
      const peer = i % 3 === 0 ? '10.0.0.2' : '10.0.0.3';
      values.push(`('h1', ${m + (i % 50)}, '${peer}', 443, ${1000 * (i + 1)}, ${i}, ${i % 4}, ${100 + i * 10}, ${i % 5 === 0 ? 1 : 0})`);
    }
    values.push(`('h2', ${m + 61}, '10.0.0.2', 443, 5, 6, 7, 8, 1)`); // next minute, other host
    const cols = 'host, ts, dst, dport, tcpi_bytes_acked, tcpi_bytes_received, tcpi_total_retrans, tcpi_rtt, reset_events';
    // two inserts: the view aggregates per insert block; the -Merge readers combine them
    await t.client.command({ query: `INSERT INTO ${db}.tcp_flows (${cols}) VALUES ${values.slice(0, 12).join(',')}` });
    await t.client.command({ query: `INSERT INTO ${db}.tcp_flows (${cols}) VALUES ${values.slice(12).join(',')}` });
    const q = (from: string, agg: string): Promise<Array<Record<string, string | number>>> =>
      rows(
        t.client,
        `SELECT host, toUInt32(${from === 'raw' ? 'toStartOfMinute(ts)' : 'minute'}) AS minute, ${from === 'raw' ? 'dst' : 'peer'} AS peer, ${agg}
        FROM ${db}.${from === 'raw' ? 'tcp_flows' : 'tcp_peer_1m'} GROUP BY host, minute, peer ORDER BY host, minute, peer`,
      );
    const rolled = await q(
      'rollup',
      'countMerge(flows) AS n, sumMerge(bytes_acked) AS acked, sumMerge(retransmits) AS retr, sumMerge(resets) AS resets, quantilesMerge(0.5, 0.9, 0.99)(rtt_us) AS rtt',
    );
    const raw = await q(
      'raw',
      'count() AS n, sum(tcpi_bytes_acked) AS acked, sum(toUInt64(tcpi_total_retrans)) AS retr, sum(toUInt64(reset_events)) AS resets, quantiles(0.5, 0.9, 0.99)(tcpi_rtt) AS rtt',
    );
    expect(rolled).to.deep.equal(raw);
    expect(rolled.map((r) => [r['host'], r['peer'], Number(r['n'])])).to.deep.equal([
      ['h1', '10.0.0.2', 10],
      ['h1', '10.0.0.3', 20],
      ['h2', '10.0.0.2', 1],
    ]);
    expect(Number(rolled[0]!['retr']) + Number(rolled[1]!['retr'])).to.equal(values.slice(0, 30).reduce((n, _, i) => n + (i % 4), 0));
  });

  /** a fresh schema with one row 10 days old and one past the rollup retention, made by row(db, ts, age) */
  const twoDays = async (tag: string, row: (db: string, ts: number, age: number) => string): Promise<string> => {
    const db = await freshSchemaDb(t, tag, { ttlDays: 0 });
    const now = Math.floor(Date.now() / 1000);
    for (const age of [10, ROLLUP_TTL_DAYS + 2]) await t.client.command({ query: row(db, now - age * 86_400, age) });
    return db;
  };

  it('18.16: apply drops rollup day partitions past the rollup retention, raw ones past --ttl-days', async () => {
    const db = await twoDays('rollttl', (d, ts) => `INSERT INTO ${d}.tcp_flows (host, ts, dst, dport) VALUES ('a', ${ts}, 'p', 1)`);
    const r = await applySchema(t.client, { database: db, ttlDays: 3 });
    expect(r.expiredPartitions).to.equal(3); // both raw days, the older rollup day
    const left = await rows<{ n: string }>(t.client, `SELECT countMerge(flows) AS n FROM ${db}.tcp_peer_1m`);
    expect(Number(left[0]!.n)).to.equal(1);
    expect(Number((await rows<{ n: string }>(t.client, `SELECT count() AS n FROM ${db}.tcp_flows`))[0]!.n)).to.equal(0);
  });

  it("18.16: the snapshot rollups (011) keep the rollup retention too, or rollupTtlDays'", async () => {
    const db = await twoDays(
      'rollttl11',
      (d, ts, age) =>
        `INSERT INTO ${d}.tcp_snapshots (host, ts, view, idiag_state, tcpi_rtt, idiag_cookie) VALUES ('a', ${ts}, 'poll', 1, 100, ${age})`,
    );
    const count = async (): Promise<number[]> => {
      const [n] = await rows<{ rtt: string; sock: string }>(
        t.client,
        `SELECT (SELECT countMerge(polls) FROM ${db}.tcp_rtt_1m) AS rtt, (SELECT count() FROM ${db}.tcp_sock_1m) AS sock`,
      );
      return [Number(n!.rtt), Number(n!.sock)];
    };
    expect(await count()).to.deep.equal([2, 2]);
    const r = await applySchema(t.client, { database: db, ttlDays: 3 });
    expect(r.expiredPartitions).to.equal(4); // both raw days, the older day of each rollup
    expect(await count()).to.deep.equal([1, 1]);
    const r2 = await applySchema(t.client, { database: db, ttlDays: 3, rollupTtlDays: 5 });
    expect(r2.expiredPartitions).to.equal(2);
    expect(await count()).to.deep.equal([0, 0]);
  });
});
