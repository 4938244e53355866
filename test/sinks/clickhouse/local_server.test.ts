// The private server helper: starts in a fresh dir, is reused (not started
// twice) when already running from the same dir, stops, and says in one line
// why it could not start.
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { authStatus, ensureLocalServer, LocalClickHouse, ping } from '../../../src/sinks/clickhouse/local_server';
import { readLocalPassword } from '../../../src/sinks/clickhouse/local_password';
import { makeClient } from '../../../src/sinks/clickhouse/config';
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

  it('the fallback server has a generated password: 0600 file, only its hash in users.xml, not on argv; no password or a wrong one refused', async () => {
    const dir = path.join(tmp(), 'clickhouse');
    const p = await testPorts();
    const ports = { httpPort: p.http, tcpPort: p.tcp, interserverPort: p.interserver };
    const env = { ...process.env };
    delete env['TCPLENS_CLICKHOUSE_PASSWORD'];
    const saved = process.env['TCPLENS_CLICKHOUSE_PASSWORD'];
    delete process.env['TCPLENS_CLICKHOUSE_PASSWORD'];
    const { server, config } = await ensureLocalServer({ dir, ...ports, detached: false });
    try {
      expect(config.password).to.match(/^[A-Za-z0-9_-]{32}$/);
      const file = path.join(dir, 'password');
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      expect(fs.statSync(dir).mode & 0o777).to.equal(0o700);
      expect(readLocalPassword(dir)).to.equal(config.password);
      for (const f of ['users.xml', 'config.xml']) expect(fs.readFileSync(path.join(dir, f), 'utf8')).to.not.contain(config.password);
      expect(fs.readFileSync(path.join(dir, 'users.xml'), 'utf8')).to.match(/<password_sha256_hex>[0-9a-f]{64}</);
      const pid = server.runningPid()!;
      expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')).to.not.contain(config.password);
      // nothing on the server's logs either
      for (const f of fs.readdirSync(path.join(dir, 'log')))
        expect(fs.readFileSync(path.join(dir, 'log', f), 'utf8')).to.not.contain(config.password);
      expect(await authStatus(p.http, config.password)).to.equal(200);
      expect(await authStatus(p.http, '')).to.not.equal(200);
      expect(await authStatus(p.http, 'wrong')).to.not.equal(200);
      const client = makeClient(config);
      try {
        const rs = await client.query({ query: 'SELECT 1 AS x', format: 'JSONEachRow' });
        expect(await rs.json()).to.deep.equal([{ x: 1 }]);
      } finally {
        await client.close();
      }
      // another local account cannot read the password (nor anything else of the server)
      const asNobody = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'cat', file], { encoding: 'utf8' });
      expect(asNobody.status, asNobody.stdout).to.not.equal(0);
      expect(asNobody.stderr).to.match(/Permission denied/);
      // the next start reuses the server and the same password
      const again = await ensureLocalServer({ dir, ...ports, detached: false });
      expect(again.server.reused).to.equal(true);
      expect(again.config.password).to.equal(config.password);
    } finally {
      await server.stop();
      if (saved !== undefined) process.env['TCPLENS_CLICKHOUSE_PASSWORD'] = saved;
    }
  });

  it('a running server of an older tcplens (no password) is given one when reused', async () => {
    const dir = tmp();
    const p = await testPorts();
    const opts = { dir, httpPort: p.http, tcpPort: p.tcp, interserverPort: p.interserver };
    const old = new LocalClickHouse(opts); // users.xml without a password, as before
    await old.start();
    try {
      expect(await authStatus(p.http, '')).to.equal(200);
      const t0 = Date.now();
      const { server, config } = await ensureLocalServer({ ...opts, detached: false, password: 'a-new-secret' });
      expect(server.reused).to.equal(true);
      expect(config.password).to.equal('a-new-secret');
      expect(await authStatus(p.http, '')).to.not.equal(200);
      expect(await authStatus(p.http, 'a-new-secret')).to.equal(200);
      console.log(`      (the reused server took the password after ${Date.now() - t0} ms)`);
    } finally {
      await old.stop();
    }
  });
});
