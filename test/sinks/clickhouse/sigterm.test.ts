// SIGTERM of a process writing through the sink loses no rows: close() flushes
// what is in memory (nothing was due yet: batches wait 5 s) before it exits.
import { expect } from 'chai';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { ClickHouseSink } from '../../../src/sinks/clickhouse/sink';
import { freePort, rows, sharedServer, freshSchemaDb } from '../../helpers/clickhouse';

const WRITER = path.join(__dirname, '..', '..', 'helpers', 'sink_writer.js');

describe('ClickHouse sink on SIGTERM', function () {
  this.timeout(60_000);
  const t = sharedServer();

  /** runs the writer ~700 ms, SIGTERMs it; returns its last line's counts */
  async function runAndKill(url: string, db: string, spool: string): Promise<{ accepted: number; written: number }> {
    const child = spawn('node', [WRITER, url, db, spool], { stdio: ['ignore', 'pipe', 'inherit'] });
    const it = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    expect((await it.next()).value).to.equal('ready');
    await new Promise((r) => setTimeout(r, 700));
    const [before] = await rows<{ n: string }>(t.client, `SELECT count() AS n FROM ${db}.poll_cycles`);
    expect(Number(before!.n)).to.equal(0); // nothing was due: all of it sits in memory
    child.kill('SIGTERM');
    const last = String((await it.next()).value);
    const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', r)));
    expect(code).to.equal(0);
    const m = /^accepted (\d+) written (\d+)$/.exec(last);
    expect(m, last).to.not.equal(null);
    return { accepted: Number(m![1]), written: Number(m![2]) };
  }

  it('a killed writer flushes every accepted row before exiting', async () => {
    const db = await freshSchemaDb(t, 'term');
    const { accepted, written } = await runAndKill(t.url, db, '-');
    expect(accepted).to.be.greaterThan(1000);
    expect(written).to.equal(accepted);
    const [after] = await rows<{ n: string; u: string }>(t.client, `SELECT count() AS n, uniqExact(sockets) AS u FROM ${db}.poll_cycles`);
    expect([Number(after!.n), Number(after!.u)]).to.deep.equal([accepted, accepted]);
  });

  it('killed while ClickHouse is down: every accepted row is in the spool, and the next start writes them', async () => {
    const db = await freshSchemaDb(t, 'termspool');
    const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlspool-'));
    try {
      const { accepted, written } = await runAndKill(`http://127.0.0.1:${await freePort()}`, db, spoolDir);
      expect(written).to.equal(0);
      const next = new ClickHouseSink({
        clickhouse: { url: t.url, user: 'default', password: '', database: db },
        host: 'sigterm',
        spoolDir,
      });
      await next.start();
      await next.close(20_000);
      const [after] = await rows<{ n: string; u: string }>(t.client, `SELECT count() AS n, uniqExact(sockets) AS u FROM ${db}.poll_cycles`);
      expect([Number(after!.n), Number(after!.u)]).to.deep.equal([accepted, accepted]);
    } finally {
      fs.rmSync(spoolDir, { recursive: true, force: true });
    }
  });
});
