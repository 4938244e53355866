// openSink() as `tcplens run` calls it: flags -> a started sink, schema applied.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { flushTiming, openSink, type SinkFlags } from '../../src/sinks/options';
import { rows, sharedServer } from '../helpers/clickhouse';

describe('openSink (flags of tcplens run)', function () {
  this.timeout(60_000);
  const t = sharedServer();

  /** the flags of a run into a fresh database (its name in database) */
  const flagsFor = (db: string, spool: string, pwFile: string): SinkFlags => ({
    sink: 'clickhouse',
    'clickhouse-url': t.url,
    'clickhouse-password-file': pwFile,
    database: db,
    'spool-dir': spool,
    'spool-bytes': '1MiB',
    'ttl-days': 7,
    'schema-apply': true,
    'flush-interval': '1s',
    'flush-jitter': '0',
  });
  const coverageRow = () => ({
    ts_ns: BigInt(Date.now()) * 1_000_000n,
    run_id: 'r',
    view: 'events',
    interval_ms: 0,
    window_ms: 1000,
    flows_seen: 3,
    flows_missed: 0,
    flows_late: 0,
    bytes_seen: 0,
    bytes_missed: 0,
    events: 9,
    dropped: 0,
    cpu_us: 1,
  });

  it('--insert-buffer: the schema gets the Buffer tables, the sink inserts into them; the table has the row once they flush', async () => {
    const spool = fs.mkdtempSync(path.join(os.tmpdir(), 'tlopen-'));
    const pwFile = path.join(spool, 'pw');
    fs.writeFileSync(pwFile, '\n');
    try {
      const db = t.freshDb('openbuf');
      const { sink } = await openSink({ ...flagsFor(db, spool, pwFile), 'insert-buffer': true }, { host: 'buf-host' });
      sink.writeCoverage([coverageRow()]);
      await sink.close();
      const n = async (table: string): Promise<number> =>
        Number((await rows<{ n: string }>(t.client, `SELECT count() AS n FROM ${db}.${table}`))[0]!.n);
      expect([await n('coverage_buffer'), await n('coverage')]).to.deep.equal([1, 0]); // in the buffer (10 s at least)
      await t.client.command({ query: `OPTIMIZE TABLE ${db}.coverage_buffer` }); // flushes it now
      expect([await n('coverage_buffer'), await n('coverage')]).to.deep.equal([1, 1]);
    } finally {
      fs.rmSync(spool, { recursive: true, force: true });
    }
  });

  it('--sink clickhouse with --clickhouse-url: applies the schema, writes, describes itself without secrets', async () => {
    const spool = fs.mkdtempSync(path.join(os.tmpdir(), 'tlopen-'));
    const pwFile = path.join(spool, 'pw');
    fs.writeFileSync(pwFile, '\n'); // the default user has an empty password
    try {
      const db = t.freshDb('open');
      const args = flagsFor(db, spool, pwFile);
      const { sink, describe } = await openSink(args, { host: 'open-host' });
      expect(describe).to.equal(`ClickHouse ${t.url} (user default, database ${db})`);
      sink.writeCoverage([coverageRow()]);
      await sink.close();
      const got = await rows<{ host: string; view: string; events: string }>(t.client, `SELECT host, view, events FROM ${db}.coverage`);
      expect(got).to.deep.equal([{ host: 'open-host', view: 'events', events: '9' }]);
    } finally {
      fs.rmSync(spool, { recursive: true, force: true });
    }
  });

  it('--flush-interval and --flush-jitter: durations, the jitter at most the interval; else one-line usage errors', () => {
    const t = (i: string, j: string): unknown => flushTiming({ 'flush-interval': i, 'flush-jitter': j });
    expect(t('10s', '5s')).to.deep.equal({ flushIntervalMs: 10_000, flushJitterMs: 5_000 });
    expect(t('1s', '0')).to.deep.equal({ flushIntervalMs: 1000, flushJitterMs: 0 });
    const bad: Array<[string, string, RegExp]> = [
      ['0', '0', /^--flush-interval: must be greater than zero$/],
      ['soon', '0', /^--flush-interval: "soon" is not a duration/],
      ['2h', '0', /^--flush-interval: at most 1h/],
      ['1s', '2s', /^--flush-jitter: at most the flush interval \(1s\), got 2s$/],
      ['1s', '-1s', /^--flush-jitter: "-1s" is not a duration/],
    ];
    for (const [i, j, re] of bad) {
      let err: (Error & { code?: string }) | undefined;
      try {
        t(i, j);
      } catch (e) {
        err = e as Error & { code?: string };
      }
      expect(err?.code, `${i} ${j}`).to.equal('EUSAGE');
      expect(err?.message, `${i} ${j}`).to.match(re);
    }
  });
});
