// Retention per table without a server: --ttl parsed (names, short names,
// rollups, 'none'; bad items one line naming the flag), the TTL clause each
// table gets on a modern server, and the partitions 18.16 drops, per table,
// ON CLUSTER with --cluster. The same against real 18.16 servers:
// test/schema/apply.test.ts (one server) and test/schema/cluster.test.ts.
import { expect } from 'chai';
import { parseTableTtl, shortTableName, TTL_DEFAULT } from '../../../src/sinks/clickhouse/retention';
import { dropExpired, modifyTtl, renderAll, retentionPlan, rollupNames, tableNames, ttlDaysOf } from '../../../src/sinks/clickhouse/schema';
import { LEGACY, MODERN } from '../../../src/sinks/clickhouse/dialect';
import { retention } from '../../../src/sinks/options';
import { TcplensError } from '../../../src/util/errors';

/** the usage error parseTableTtl throws for `text` */
function refused(text: string): string {
  try {
    parseTableTtl(text);
  } catch (e) {
    expect(e).to.be.instanceOf(TcplensError);
    expect((e as TcplensError).code).to.equal('EUSAGE');
    return (e as Error).message;
  }
  throw new Error(`--ttl ${text} was accepted`);
}

describe('retention per table (--ttl over --ttl-days)', () => {
  it('the default keeps snapshots and owners a week, flows 90 days, the rest --ttl-days', () => {
    expect(parseTableTtl(TTL_DEFAULT)).to.deep.equal({ ttl: { tcp_snapshots: 7, socket_owners: 7, tcp_flows: 90 } });
    const kept = retention({ 'ttl-days': 30, ttl: TTL_DEFAULT });
    expect(tableNames().map((t) => [t, ttlDaysOf(kept, t)])).to.deep.equal(
      tableNames().map((t) => [t, ({ tcp_snapshots: 7, socket_owners: 7, tcp_flows: 90 } as Record<string, number>)[t] ?? 30]),
    );
    // no --ttl: the default split only under the default --ttl-days; an operator's own
    // --ttl-days keeps every table that long (an upgrade does not shorten it to a week)
    expect(retention({ 'ttl-days': 30 })).to.deep.equal(kept);
    expect(retention({ 'ttl-days': 12 })).to.deep.equal({ ttlDays: 12 });
    expect(retention({ 'ttl-days': 60, ttl: 'snapshots=14' })).to.deep.equal({ ttlDays: 60, ttl: { tcp_snapshots: 14 } });
  });

  it('tables by name or short name, any case and spacing; rollups; 0 = forever; none', () => {
    expect(tableNames().map(shortTableName)).to.include.members([
      'snapshots',
      'events',
      'samples',
      'owners',
      'flows',
      'cycles',
      'coverage',
    ]);
    expect(parseTableTtl(' TCP_FLOWS = 1, events=0 ,rollups=800,cycles=3')).to.deep.equal({
      ttl: { tcp_flows: 1, tcp_events: 0, poll_cycles: 3 },
      rollupTtlDays: 800,
    });
    for (const none of ['', 'none', ' NONE ']) expect(parseTableTtl(none)).to.deep.equal({ ttl: {} });
  });

  it('bad items: one usage line naming --ttl and what is wrong', () => {
    expect(refused('flows')).to.equal(`--ttl: TABLE=DAYS items expected (e.g. ${TTL_DEFAULT}), got 'flows'`);
    expect(refused('flows=-1')).to.match(/^--ttl: TABLE=DAYS items expected .* got 'flows=-1'$/);
    expect(refused('flows=1.5')).to.match(/got 'flows=1.5'$/);
    expect(refused('bogus=3')).to.equal(
      "--ttl: unknown table 'bogus' (snapshots, events, samples, owners, flows, cycles, coverage, rollups; or the full table name)",
    );
    expect(refused('flows=3,tcp_flows=4')).to.equal('--ttl: tcp_flows named twice');
    expect(refused('flows=36501')).to.equal('--ttl: flows: at most 36500 days (0 = forever), got 36501');
    expect(refused('flows=99999999999999999999999')).to.match(/at most 36500 days/);
    const long = refused(`${'x'.repeat(10_000)}=1`);
    expect(long).to.include('... (10000 characters)');
    expect(long.length).to.be.below(300);
    expect(refused('flows=1\u001b[31m')).to.not.include('\u001b');
    for (const bad of [-1, 1.5, Infinity, 1e23])
      expect(() => retention({ 'ttl-days': bad, ttl: 'none' }), String(bad)).to.throw(
        /^--ttl-days: a whole number of days from 0 to 36500/,
      );
  });

  it('modern servers: each table its own TTL clause, the rollups theirs', () => {
    const stmts = renderAll({ database: 'tl', dialect: MODERN, ttlDays: 30, ...parseTableTtl(`${TTL_DEFAULT},events=0,rollups=800`) });
    const ttlOf = (t: string): string | undefined =>
      /\nTTL (.*)$/.exec(stmts.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS tl.${t} `))!)?.[1];
    expect(ttlOf('tcp_snapshots')).to.equal('toDateTime(ts) + toIntervalDay(7)');
    expect(ttlOf('socket_owners')).to.equal('toDateTime(ts) + toIntervalDay(7)');
    expect(ttlOf('tcp_flows')).to.equal('toDateTime(ts) + toIntervalDay(90)');
    expect(ttlOf('poll_cycles')).to.equal('toDateTime(ts) + toIntervalDay(30)');
    expect(ttlOf('tcp_events')).to.equal(undefined); // 0: forever
    for (const r of rollupNames()) expect(ttlOf(r), r).to.equal('minute + toIntervalDay(800)');
    for (const s of renderAll({ database: 'tl', dialect: LEGACY, ttlDays: 30, ...parseTableTtl(TTL_DEFAULT) }))
      expect(s).to.not.include('TTL');
  });

  it('modern servers at apply: MODIFY TTL only where a table has not its retention (ON CLUSTER on the locals with --cluster)', () => {
    const o = { database: 'tl', cluster: 'fleet', ttlDays: 30, ...parseTableTtl('snapshots=7,rollups=0') };
    const engine = (ttl: string): string =>
      `ReplicatedMergeTree('/clickhouse/tables/{shard}/tl/x', '{replica}') PARTITION BY toDate(ts) ORDER BY (host, ts) ${ttl}SETTINGS index_granularity = 8192`;
    const tables = tableNames().map((t) => ({
      name: `${t}_local`,
      // as the server shows them: snapshots still 30 days (the setting changed), flows without a TTL, the rest as set
      engine_full: engine(t === 'tcp_flows' ? '' : 'TTL toDateTime(ts) + toIntervalDay(30) '),
    }));
    expect(modifyTtl(o, tables)).to.deep.equal([
      'ALTER TABLE tl.tcp_snapshots_local ON CLUSTER fleet MODIFY TTL toDateTime(ts) + toIntervalDay(7)',
      'ALTER TABLE tl.tcp_flows_local ON CLUSTER fleet MODIFY TTL toDateTime(ts) + toIntervalDay(30)',
    ]);
    // the rollups' own, when given; 300 is not 30
    const r = modifyTtl({ database: 'tl', ttlDays: 300, rollupTtlDays: 800 }, [
      ...tables.map((t) => ({ name: t.name.replace(/_local$/, ''), engine_full: t.engine_full })),
      { name: 'tcp_peer_1m', engine_full: engine('TTL minute + toIntervalDay(400) ') },
    ]);
    expect(r.filter((q) => /tcp_peer_1m|tcp_events /.test(q))).to.deep.equal([
      'ALTER TABLE tl.tcp_events MODIFY TTL toDateTime(ts) + toIntervalDay(300)',
      'ALTER TABLE tl.tcp_peer_1m MODIFY TTL minute + toIntervalDay(800)',
    ]);
  });

  it('18.16: the day partitions past each table its retention, one ALTER per table; ON CLUSTER on the locals with --cluster', () => {
    const now = Date.UTC(2026, 11, 5, 12);
    const parts = [
      ...['20261204', '20261128', '20261127', '20261101', '20260906', '20260905'].flatMap((id) =>
        ['tcp_snapshots_local', 'tcp_flows_local', 'tcp_events_local', 'tcp_peer_1m_local'].map((table) => ({ table, partition_id: id })),
      ),
      { table: 'tcp_flows_local', partition_id: 'all' }, // not a day partition: never dropped
      { table: 'other_local', partition_id: '20200101' }, // not ours
    ];
    const o = { database: 'tl', cluster: 'fleet', ttlDays: 30, ...parseTableTtl(`${TTL_DEFAULT},events=0`) };
    expect([...retentionPlan(o).keys()]).to.have.members([
      ...tableNames()
        .filter((t) => t !== 'tcp_events')
        .map((t) => `${t}_local`),
      ...rollupNames().map((t) => `${t}_local`),
    ]);
    const r = dropExpired(o, parts, now);
    expect(r.statements).to.deep.equal([
      // 7 days: the 28th is the cutoff day, kept
      "ALTER TABLE tl.tcp_snapshots_local ON CLUSTER fleet DROP PARTITION ID '20260905', DROP PARTITION ID '20260906', DROP PARTITION ID '20261101', DROP PARTITION ID '20261127'",
      // 90 days: from 6 September on kept
      "ALTER TABLE tl.tcp_flows_local ON CLUSTER fleet DROP PARTITION ID '20260905'",
    ]);
    expect(r.partitions).to.equal(5);
    // one server (or a cluster's DDL applied node by node): the tables themselves, no ON CLUSTER
    const single = dropExpired({ database: 'tl', ttlDays: 30 }, [{ table: 'tcp_events', partition_id: '20261101' }], now);
    expect(single.statements).to.deep.equal(["ALTER TABLE tl.tcp_events DROP PARTITION ID '20261101'"]);
    const byNode = dropExpired(
      { database: 'tl', cluster: 'fleet', onCluster: false, ttlDays: 1 },
      [{ table: 'coverage_local', partition_id: '20261101' }],
      now,
    );
    expect(byNode.statements).to.deep.equal(["ALTER TABLE tl.coverage_local DROP PARTITION ID '20261101'"]);
  });
});
