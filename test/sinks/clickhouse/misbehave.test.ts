// The sink against a misbehaving ClickHouse: a real server behind a proxy
// that resets, truncates, stalls, answers late, answers 500 or garbage, or
// loses the answer of an insert (test/helpers/fault_proxy.ts); and the server
// itself stopped (SIGSTOP) or killed (SIGKILL) in the middle of the inserts.
// Every case: each failed attempt counted, the sink retries or spools, never
// throws, close() returns within its timeout, and afterwards every row is
// stored exactly once (no batch twice, even when an insert landed unanswered).
import { expect } from 'chai';
import { ClickHouseSink, type ClickHouseSinkOptions } from '../../../src/sinks/clickhouse/sink';
import { FAULTS, FaultProxy } from '../../helpers/fault_proxy';
import { sharedServer, freshSchemaDb } from '../../helpers/clickhouse';
import { rowsFor, server, storedIds } from '../../helpers/sink_rows';
import { suiteTmp } from '../../helpers/tmp';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const TIMEOUT_MS = 1000;
/** faults whose insert reached the server whole: the rows land without an answer */
const LANDS = new Set(['lose-answer', 'slow']);

describe('ClickHouse sink against a misbehaving server', function () {
  this.timeout(120_000);
  const t = sharedServer();
  const tmp = suiteTmp('tlmis-');
  const opts = (url: string, db: string): ClickHouseSinkOptions => ({
    clickhouse: server(url, db),
    host: 'h',
    flushIntervalMs: 30,
    maxAttempts: 3,
    backoffInitialMs: 30,
    backoffMaxMs: 300,
    requestTimeoutMs: TIMEOUT_MS,
    spoolDir: tmp(),
  });

  /** writes `n` batches of 50 rows, 60 ms apart; returns the ids written */
  async function write(sink: ClickHouseSink, from: number, n: number): Promise<number> {
    for (let i = from; i < from + n; i++) {
      sink.writePollCycles(rowsFor(i));
      await sleep(60);
    }
    return from + n;
  }

  for (const fault of FAULTS) {
    it(`${fault} on 2 inserts: counted, retried, every row stored once`, async () => {
      const db = await freshSchemaDb(t, fault.replace('-', ''));
      const proxy = new FaultProxy(t.server.opts.httpPort);
      proxy.slowMs = TIMEOUT_MS * 2.5;
      await proxy.start();
      try {
        proxy.faults.push(fault, fault);
        const sink = new ClickHouseSink(opts(`http://127.0.0.1:${proxy.port}`, db));
        await sink.start();
        const ids = await write(sink, 0, 6);
        const t0 = Date.now();
        await sink.close(20_000);
        const closeMs = Date.now() - t0;
        const st = sink.stats();
        const c = st.tables['poll_cycles']!;
        expect(proxy.applied[fault]).to.equal(2);
        expect(c.batches_retried, 'failed attempts counted').to.be.at.least(2);
        expect(c.batches_deduplicated, 'landed unanswered: found, not resent').to.equal(LANDS.has(fault) ? 2 : 0);
        expect([c.rows_written, c.rows_dropped, st.spool_batches]).to.deep.equal([ids * 50, 0, 0]);
        expect(await storedIds(t.client, db)).to.deep.equal({ n: ids * 50, unique: ids * 50 });
        expect(closeMs).to.be.below(20_000);
        console.log(
          `      ${fault}: ${c.batches_retried} failed attempts, ${c.batches_deduplicated} found landed, last error: ${st.last_error ?? '-'}; close ${closeMs} ms`,
        );
      } finally {
        await proxy.stop();
      }
    });
  }

  it('faults on every insert for a while: the sink spools, then catches up once the proxy behaves', async () => {
    const db = await freshSchemaDb(t, 'storm');
    const proxy = new FaultProxy(t.server.opts.httpPort);
    proxy.slowMs = TIMEOUT_MS * 2.5;
    await proxy.start();
    try {
      for (let i = 0; i < 30; i++) proxy.faults.push(FAULTS[i % FAULTS.length]!);
      const sink = new ClickHouseSink(opts(`http://127.0.0.1:${proxy.port}`, db));
      await sink.start();
      let ids = await write(sink, 0, 40);
      const during = sink.stats();
      while (proxy.faults.length) ids = await write(sink, ids, 5);
      ids = await write(sink, ids, 10);
      await sink.close(30_000);
      const st = sink.stats();
      const c = st.tables['poll_cycles']!;
      expect(during.tables['poll_cycles']!.rows_spooled, 'spooled during the storm').to.be.greaterThan(0);
      expect(c.rows_replayed).to.equal(c.rows_spooled);
      expect([c.rows_written, c.rows_dropped, st.spool_batches]).to.deep.equal([ids * 50, 0, 0]);
      expect(await storedIds(t.client, db)).to.deep.equal({ n: ids * 50, unique: ids * 50 });
      console.log(
        `      30 faults: ${c.batches_retried} failed attempts, ${c.batches_spooled} batches spooled and replayed, ${c.batches_deduplicated} found landed`,
      );
    } finally {
      await proxy.stop();
    }
  });

  for (const sig of ['SIGSTOP', 'SIGKILL'] as const) {
    it(`the server ${sig === 'SIGSTOP' ? 'frozen (SIGSTOP) for 4 s' : 'killed (SIGKILL) and restarted after 3 s'} mid-insert: spooled, caught up, every row once`, async () => {
      const db = await freshSchemaDb(t, sig.toLowerCase());
      const sink = new ClickHouseSink(opts(t.url, db));
      await sink.start();
      let ids = await write(sink, 0, 10);
      const pid = t.server.runningPid()!;
      process.kill(pid, sig);
      try {
        ids = await write(sink, ids, sig === 'SIGSTOP' ? 60 : 45);
        expect(sink.stats().outage, 'the sink saw the outage').to.equal(true);
      } finally {
        if (sig === 'SIGSTOP') process.kill(pid, 'SIGCONT');
        else {
          await t.server.stop(); // forgets the killed process
          await t.server.start();
        }
      }
      ids = await write(sink, ids, 10);
      await sink.close(30_000);
      const st = sink.stats();
      const c = st.tables['poll_cycles']!;
      expect(c.rows_spooled).to.be.greaterThan(0);
      expect([c.rows_written, c.rows_dropped, st.spool_batches]).to.deep.equal([ids * 50, 0, 0]);
      expect(await storedIds(t.client, db)).to.deep.equal({ n: ids * 50, unique: ids * 50 });
      console.log(
        `      ${sig}: ${c.batches_retried} failed attempts, ${c.batches_spooled} batches spooled, ${c.batches_deduplicated} found landed`,
      );
    });
  }
});
