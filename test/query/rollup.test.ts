// The rollups of migration 011 give the raw rows' answers: a real `tcplens run`
// polls a bulk transfer and a reader that stops reading in a test namespace;
// its snapshots are then repeated 25..150 s later (the same sockets, their
// queues and counters moved on), so the data crosses minutes and a socket's
// rows fall in several. slow-endpoints is asked with the rollup (whole minutes
// from it, ragged ends from the raw rows; covered from the start, from the
// middle, or as the server says) and without, for windows that start and end
// inside the data, with and without filters: equal every time. With the raw
// rows gone, a window of whole minutes still answers from the rollup alone.
// rtt-by-peer renders the plain query on the raw polls, whatever is asked
// (tcp_rtt_1m is kept by its view and checked to hold every poll).
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadLibrary } from '../../src/query/library';
import { renderQuestion, type Filters, type RollupUse } from '../../src/query/render';
import { coveredFromSql, ROLLUPS, ROLLUP_SKEW_S } from '../../src/query/rollup';
import { parsePeer } from '../../src/query/params';
import { LEGACY } from '../../src/sinks/clickhouse/dialect';
import { haveClickHouse, rows, sharedServer, freshSchemaDb } from '../helpers/clickhouse';
import { createNetns, deleteNetns, isRoot } from '../helpers/netns';
import { killRuns, startRun } from '../helpers/run_proc';
import { skipIf } from '../helpers/skip';
import { workload } from '../helpers/forensics';

const OFFSETS = [25, 50, 75, 100, 125, 150];

describe('rollups (011): slow-endpoints equals the raw rows; rtt-by-peer reads the raw polls', function () {
  this.timeout(180_000);
  const ch = sharedServer();
  const lib = loadLibrary();
  let ns = '';
  let ino = 0n;
  let db = '';
  let spool = '';
  let first = 0;
  let last = 0;
  let slow: Record<string, unknown> = {};

  const ask = async (name: string, filters: Filters, rollups: RollupUse, params: Record<string, string> = {}): Promise<string> => {
    const r = renderQuestion(lib.get(name)!, { database: db, dialect: LEGACY, filters, params: { limit: '100000', ...params }, rollups });
    return JSON.stringify(await rows(ch.client, r.sql));
  };

  before(async function () {
    skipIf(this, !isRoot(), 'needs root (network namespaces)');
    skipIf(this, !haveClickHouse(), 'clickhouse-server not installed (scripts/bootstrap.sh installs it)');
    ns = createNetns('rlp');
    ino = BigInt(fs.statSync(`/run/netns/${ns}`).ino);
    spool = fs.mkdtempSync(path.join(os.tmpdir(), 'tlr-'));
    db = ch.freshDb('rlp');
    const run = startRun(
      ['--netns', ns, '--database', db, '--spool-dir', spool, '--listen', '127.0.0.1:0', '--interval', '200ms', '--views', 'poll,destroy'],
      { TCPLENS_CLICKHOUSE_URL: ch.url },
    );
    await run.waitFor('run.started');
    [, slow] = await Promise.all([workload(ns, 'bulk', '127.0.0.3', 7000, 2_000_000), workload(ns, 'slowreader', '127.0.0.7', 7004, 1.5)]);
    await new Promise((r) => setTimeout(r, 500));
    run.proc.kill('SIGTERM');
    expect(await run.exited).to.equal(0);
    // the run's snapshots again, OFFSETS seconds later, through the views as any insert
    const cols = (
      await rows<{ name: string }>(ch.client, `SELECT name FROM system.columns WHERE database = '${db}' AND table = 'tcp_snapshots'`)
    ).map((c) => c.name);
    const moved: Record<string, string> = {
      ts: 'ts + k',
      ts_ns: 'ts_ns + k * 1000000000',
      idiag_rqueue: 'idiag_rqueue + k',
      tcpi_rwnd_limited: 'tcpi_rwnd_limited + k * 1000',
      tcpi_rtt: 'tcpi_rtt + k',
    };
    await ch.client.command({
      query: `INSERT INTO ${db}.tcp_snapshots (${cols.join(', ')})
        SELECT ${cols.map((c) => moved[c] ?? c).join(', ')} FROM ${db}.tcp_snapshots ARRAY JOIN [${OFFSETS.join(', ')}] AS k`,
    });
    const [span] = await rows<{ a: number; b: number }>(
      ch.client,
      `SELECT toUInt32(min(ts)) AS a, toUInt32(max(ts)) AS b FROM ${db}.tcp_snapshots`,
    );
    first = Number(span!.a);
    last = Number(span!.b);
  });
  after(() => {
    killRuns();
    if (ns) deleteNetns(ns);
    if (spool) fs.rmSync(spool, { recursive: true, force: true });
  });

  it('the run polled the slow reader into both rollups', async () => {
    expect(last - first).to.be.at.least(150);
    const [n] = await rows<{ rtt: string; sock: string; raw: string }>(
      ch.client,
      `SELECT (SELECT countMerge(polls) FROM ${db}.tcp_rtt_1m) AS rtt, (SELECT count() FROM ${db}.tcp_sock_1m) AS sock,
        (SELECT count() FROM ${db}.tcp_snapshots WHERE view = 'poll' AND idiag_state = 1 AND tcpi_rtt > 0) AS raw`,
    );
    expect(Number(n!.rtt)).to.equal(Number(n!.raw)); // every poll of an established socket, once
    expect(Number(n!.sock)).to.be.greaterThan(0);
    const slowRows = await ask('slow-endpoints', { since: BigInt(first), until: BigInt(last + 1), peer: parsePeer('127.0.0.7') }, 'off');
    expect(JSON.parse(slowRows)).to.have.length(1);
  });

  it('equal answers for windows with ragged ends, partial coverage and filters', async () => {
    const mid = BigInt(first + 75);
    const coverages: RollupUse[] = [{ coveredFrom: 0n }, { coveredFrom: mid }, 'auto'];
    const windows: Array<[number, number]> = [
      [first - 300, last + 1],
      [first + 17, last - 33],
      [first + 61, last + 1],
    ];
    const filterSets: Array<Partial<Filters>> = [
      {},
      { peer: parsePeer('127.0.0.7') },
      { netns: ino },
      { port: 7004n },
      { local_port: BigInt(slow['sport'] as number) },
    ];
    let compared = 0,
      nonEmpty = 0;
    for (const [since, until] of windows)
      for (const extra of filterSets) {
        const f: Filters = { since: BigInt(since), until: BigInt(until), ...extra };
        const raw = await ask('slow-endpoints', f, 'off');
        if (raw !== '[]') nonEmpty++;
        for (const use of coverages) {
          const got = await ask('slow-endpoints', f, use);
          expect(
            got,
            `[${since - first}, ${until - first}) ${JSON.stringify(use, (_, v: unknown) => (typeof v === 'bigint' ? Number(v) - first : v))} ${Object.keys(extra).join(',')}`,
          ).to.equal(raw);
          compared++;
        }
      }
    expect(compared).to.equal(3 * 5 * 3);
    expect(nonEmpty).to.be.at.least(12);
  });

  it('reads the rollup only where it holds the answer (filters in its key); rtt-by-peer never', () => {
    const f = (extra: Partial<Filters>): Filters => ({ since: 1_700_000_000n, until: 1_700_003_600n, ...extra });
    const sql = (name: string, filters: Filters, params: Record<string, string> = {}): string =>
      renderQuestion(lib.get(name)!, { database: db || 'tcplens', dialect: LEGACY, filters, params }).sql;
    // the plain query: no rollup, no aggregate states (merging them was the cost)
    for (const [filters, params] of [
      [f({ peer: parsePeer('10.0.0.0/8') }), {}],
      [f({}), { step: '1h' }],
      [f({ port: 443n }), { step: '90s' }],
    ] as Array<[Filters, Record<string, string>]>) {
      const rtt = sql('rtt-by-peer', filters, params);
      expect(rtt).to.not.match(/FROM \w+\.tcp_rtt_1m|State\(|Merge\(/);
      expect(rtt).to.match(/FROM \w+\.tcp_snapshots\s+WHERE ts >= /);
    }
    expect(sql('slow-endpoints', f({ port: 443n, cgroup: 7n }))).to.match(
      /FROM \w+\.tcp_sock_1m\s+WHERE minute >= .* AND \(sport = 443 OR dport = 443\)/,
    );
    const off = renderQuestion(lib.get('slow-endpoints')!, { database: 'tcplens', dialect: LEGACY, filters: f({}), rollups: 'off' }).sql;
    expect(off).to.match(/WHERE 0\n/);
  });

  it('coverage: from the minute after the view was created plus the clock allowance; never without the view', async () => {
    const fresh = await freshSchemaDb(ch, 'rlpc', { ttlDays: 0 });
    const [made] = await rows<{ t: number }>(
      ch.client,
      `SELECT toUInt32(metadata_modification_time) AS t FROM system.tables WHERE database = '${fresh}' AND name = 'tcp_sock_1m_mv'`,
    );
    const [cov] = await rows<{ c: number; none: number }>(
      ch.client,
      `SELECT toUInt32(${coveredFromSql(fresh, ROLLUPS['tcp_sock_1m']!)}) AS c, toUInt32(${coveredFromSql('no_such_db', ROLLUPS['tcp_sock_1m']!)}) AS none`,
    );
    const c = Number(cov!.c);
    expect(c % 60).to.equal(0);
    // the first whole minute at or after creation + skew (a view made on a whole minute
    // covers from exactly creation + skew: every row of that minute came after it)
    expect(c).to.be.at.least(Number(made!.t) + ROLLUP_SKEW_S);
    expect(c).to.be.below(Number(made!.t) + ROLLUP_SKEW_S + 60);
    expect(Number(cov!.none)).to.be.above(Date.now() / 1000 + 86_400 * 365 * 50);
  });

  it('with the raw rows dropped, whole minutes answer from the rollup alone', async () => {
    const f: Filters = { since: BigInt(Math.floor(first / 60) * 60 - 60), until: BigInt(Math.ceil((last + 1) / 60) * 60 + 60) };
    const before = { slow: await ask('slow-endpoints', f, { coveredFrom: 0n }) };
    expect(before.slow).to.equal(await ask('slow-endpoints', f, 'off'));
    const parts = await rows<{ p: string }>(
      ch.client,
      `SELECT DISTINCT partition_id AS p FROM system.parts WHERE database = '${db}' AND table = 'tcp_snapshots' AND active`,
    );
    for (const { p } of parts) await ch.client.command({ query: `ALTER TABLE ${db}.tcp_snapshots DROP PARTITION ID '${p}'` });
    expect(await ask('slow-endpoints', f, 'off')).to.equal('[]');
    expect(JSON.parse(before.slow)).to.have.length.greaterThan(0);
    expect(await ask('slow-endpoints', f, { coveredFrom: 0n })).to.equal(before.slow);
  });
});
