// The sink's memory bound: producers that write faster than ClickHouse takes
// the batches (a burst) never make it hold more than maxMemoryBytes (open,
// sealed and pooled batches); the oldest sealed batches go to the spool,
// counted, and every row still reaches ClickHouse once it catches up.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ClickHouseSink } from '../../../src/sinks/clickhouse/sink';
import { rows, sharedServer, freshSchemaDb } from '../../helpers/clickhouse';
import { rowsFor, server } from '../../helpers/sink_rows';

describe('ClickHouse sink memory bound', function () {
  this.timeout(120_000);
  const t = sharedServer();
  let spoolDir: string;
  beforeEach(() => {
    spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlmem-'));
  });
  afterEach(() => fs.rmSync(spoolDir, { recursive: true, force: true }));

  it('a burst past the bound spools the oldest sealed batches (counted) and loses no row', async () => {
    const db = await freshSchemaDb(t, 'membound');
    // batches of 2,000 rows (40 writes of 50): ~120 KB each, over the pool's 4 KiB buffers
    const bound = 400_000;
    const sink = new ClickHouseSink({
      clickhouse: server(t.url, db),
      host: 'h',
      maxBatchRows: 2000,
      flushIntervalMs: 60_000,
      spoolDir,
      maxMemoryBytes: bound,
    });
    const batch = (s: ClickHouseSink, id: number): void => {
      for (let k = 0; k < 40; k++) s.writePollCycles(rowsFor(id * 40 + k));
    };
    await sink.start();
    try {
      let worst = 0;
      // 20 batches with no turn for the sender in between: without the bound all 20 would wait in memory
      for (let id = 0; id < 20; id++) {
        batch(sink, id);
        worst = Math.max(worst, sink.stats().memory_bytes!);
      }
      expect(worst).to.be.at.most(bound);
      const mid = sink.stats();
      expect(mid.memory_spills).to.be.greaterThan(0);
      expect(mid.tables['poll_cycles']!.rows_spooled).to.be.at.least(mid.memory_spills! * 2000);
      expect(mid.tables['poll_cycles']!.rows_dropped).to.equal(0);
      await sink.flush(60_000); // ClickHouse is up: the spool replays
      await sink.close(30_000);
      const st = sink.stats().tables['poll_cycles']!;
      expect(st.rows_dropped).to.equal(0);
    } finally {
      await sink.close(1000); // a failed check must not leave it running past its server
    }
    const [n] = await rows<{ n: string }>(t.client, `SELECT count() AS n FROM ${db}.poll_cycles`);
    expect(Number(n!.n)).to.equal(20 * 2000);
  });
});
