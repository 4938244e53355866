// Backpressure from the ClickHouse sink into a producer (the poll, between two
// batches of a dump): room() holds it while sealed batches wait in memory over
// the mark, lets it go as inserts drain them, and never holds it for longer
// than its time limit (a server that takes the insert and never answers).
import { expect } from 'chai';
import * as net from 'net';
import { ClickHouseSink } from '../../../src/sinks/clickhouse/sink';
import { LEGACY } from '../../../src/sinks/clickhouse/dialect';
import { freePort, rows, sharedServer, freshSchemaDb } from '../../helpers/clickhouse';
import { rowsFor, server } from '../../helpers/sink_rows';

describe('ClickHouse sink backpressure (room)', function () {
  this.timeout(120_000);
  const t = sharedServer();

  it('a producer that awaits room() never has more than its own batch waiting; one that does not piles them up', async () => {
    const db = await freshSchemaDb(t, 'bp');
    // every 50-row write seals a batch; room only while no sealed batch waits
    const sink = new ClickHouseSink({ clickhouse: server(t.url, db), host: 'h', maxBatchRows: 50, roomBytes: 0, flushIntervalMs: 50 });
    await sink.start();
    let id = 0;
    // without waiting: every batch stays in memory until the sender gets a turn
    for (let k = 0; k < 10; k++) sink.writePollCycles(rowsFor(id++));
    expect(sink.stats().queue_rows).to.equal(500);
    let worst = 0;
    for (let k = 0; k < 20; k++) {
      const r = sink.room();
      if (r) await r;
      sink.writePollCycles(rowsFor(id++));
      worst = Math.max(worst, sink.stats().queue_rows);
    }
    expect(worst).to.equal(50); // the batch just written, never the ones before it
    await sink.close(30_000);
    const st = sink.stats();
    expect(st.backpressure!.waits).to.be.greaterThan(0);
    expect(st.backpressure!.timeouts).to.equal(0);
    expect(st.backpressure!.seconds).to.be.greaterThan(0);
    const [n] = await rows<{ n: string }>(t.client, `SELECT count() AS n FROM ${db}.poll_cycles`);
    expect(Number(n!.n)).to.equal(id * 50);
    expect(st.tables['poll_cycles']!.rows_dropped).to.equal(0);
  });

  it('a server that never answers holds the producer for the time limit only, counted as a timeout', async () => {
    const held: net.Socket[] = [];
    const mute = net.createServer((s) => held.push(s)); // takes the insert, answers nothing
    const port = await freePort();
    await new Promise<void>((r) => mute.listen(port, '127.0.0.1', r));
    try {
      const sink = new ClickHouseSink({
        clickhouse: server(`http://127.0.0.1:${port}`, 'x'),
        dialect: LEGACY,
        maxBatchRows: 50,
        roomBytes: 0,
        roomWaitMs: 300,
        requestTimeoutMs: 1000,
        maxAttempts: 1,
      });
      await sink.start();
      sink.writePollCycles(rowsFor(0));
      const t0 = performance.now();
      const r = sink.room();
      expect(r).to.not.equal(null);
      await r;
      const waited = performance.now() - t0;
      expect(waited).to.be.within(250, 900);
      expect(sink.stats().backpressure).to.deep.include({ waits: 1, timeouts: 1 });
      await sink.close(500);
      // no spool: what could not be written is dropped, and counted
      expect(sink.stats().tables['poll_cycles']!.rows_dropped).to.equal(50);
    } finally {
      for (const s of held) s.destroy();
      await new Promise<void>((r) => mute.close(() => r()));
    }
  });

  it('by default the mark is one batch: the batch in flight and one more, never a third waiting', async () => {
    const held: net.Socket[] = [];
    const mute = net.createServer((s) => held.push(s)); // takes the insert, answers nothing
    const port = await freePort();
    await new Promise<void>((r) => mute.listen(port, '127.0.0.1', r));
    const opts = {
      clickhouse: server(`http://127.0.0.1:${port}`, 'x'),
      dialect: LEGACY,
      maxBatchRows: 50,
      requestTimeoutMs: 1000,
      maxAttempts: 1,
    };
    try {
      // the bytes of one 50-row batch, as the mark's unit
      const probe = new ClickHouseSink(opts);
      await probe.start();
      probe.writePollCycles(rowsFor(0));
      const one = probe.stats().queue_bytes;
      await probe.close(200);
      expect(one).to.be.greaterThan(0);
      const sink = new ClickHouseSink({ ...opts, maxBatchBytes: one });
      await sink.start();
      sink.writePollCycles(rowsFor(1)); // in flight (never answered)
      expect(sink.room()).to.equal(null);
      sink.writePollCycles(rowsFor(2)); // one more sealed: over the mark
      const r = sink.room();
      expect(r).to.not.equal(null);
      expect(sink.stats().queue_bytes).to.equal(2 * one);
      await sink.close(200);
      await r;
    } finally {
      for (const s of held) s.destroy();
      await new Promise<void>((r) => mute.close(() => r()));
    }
  });
});
