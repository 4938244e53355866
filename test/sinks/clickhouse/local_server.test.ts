// The private server helper: starts in a fresh dir, is reused (not started
// twice) when already running from the same dir, stops, and says in one line
// why it could not start.
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { LocalClickHouse, ping } from '../../../src/sinks/clickhouse/local_server';
import { haveClickHouse, testPorts } from '../../helpers/clickhouse';
import { suiteTmp } from '../../helpers/tmp';

describe('LocalClickHouse (private clickhouse-server)', function () {
  this.timeout(60_000);
  const tmp = suiteTmp('tlls-');
  before(function () {
    if (!haveClickHouse()) this.skip();
  }); // bootstrap.sh installs clickhouse-server; CI has it

  it('starts with its data under the dir, is reused by a second start, and stops', async () => {
    const dir = tmp();
    const p = await testPorts();
    const opts = { dir, httpPort: p.http, tcpPort: p.tcp, interserverPort: p.interserver };
    const a = new LocalClickHouse(opts);
    await a.start();
    try {
      expect(a.reused).to.equal(false);
      expect(await ping(p.http)).to.equal(true);
      expect(fs.existsSync(path.join(dir, 'data'))).to.equal(true);
      const pid = a.runningPid();
      expect(pid).to.be.a('number');
      const b = new LocalClickHouse(opts);
      await b.start();
      expect(b.reused).to.equal(true);
      expect(b.runningPid()).to.equal(pid);
    } finally {
      await a.stop();
    }
    expect(await ping(p.http)).to.equal(false);
    expect(a.runningPid()).to.equal(null);
  });

  it('a port already served by another server is refused in one line; a bad binary too', async () => {
    const p = await testPorts();
    const a = new LocalClickHouse({ dir: tmp(), httpPort: p.http, tcpPort: p.tcp, interserverPort: p.interserver });
    await a.start();
    try {
      const q = await testPorts();
      const other = new LocalClickHouse({ dir: tmp(), httpPort: p.http, tcpPort: q.tcp, interserverPort: q.interserver });
      let err: Error | null = null;
      try {
        await other.start();
      } catch (e) {
        err = e as Error;
      }
      expect(err?.message).to.match(/already answers as a ClickHouse server not started from/);
    } finally {
      await a.stop();
    }
    const q = await testPorts();
    const bad = new LocalClickHouse({ dir: tmp(), httpPort: q.http, tcpPort: q.tcp, binary: '/nonexistent/clickhouse-server' });
    let err: Error | null = null;
    try {
      await bad.start();
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/^clickhouse-server exited \(-1\): spawn \/nonexistent\/clickhouse-server ENOENT/);
  });
});
