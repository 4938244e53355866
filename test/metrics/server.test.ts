// The metrics HTTP server: --listen parsing, debug endpoints only when
// enabled (a real V8 CPU profile and heap snapshot), errors as one line.
import { expect } from 'chai';
import { DEFAULT_LISTEN, parseListen, startMetrics, type MetricsHandle } from '../../src/metrics/server';
import { TcplensError } from '../../src/util/errors';
import { Logger } from '../../src/util/log';

const quiet = new Logger({ write: () => undefined });

describe('metrics server', function () {
  this.timeout(30_000);
  const open: MetricsHandle[] = [];
  afterEach(async () => {
    for (const m of open.splice(0)) await m.close();
  });
  const start = async (debug: boolean): Promise<MetricsHandle> => {
    const m = await startMetrics({ listen: '127.0.0.1:0', debug, logger: quiet, bpfStats: false }, {});
    open.push(m);
    return m;
  };

  it('parses --listen: host:port, [v6]:port, a bare port on 127.0.0.1; the default is 127.0.0.1:9088', () => {
    expect(parseListen('127.0.0.1:9088')).to.deep.equal({ host: '127.0.0.1', port: 9088 });
    expect(parseListen('[::1]:9100')).to.deep.equal({ host: '::1', port: 9100 });
    expect(parseListen('9101')).to.deep.equal({ host: '127.0.0.1', port: 9101 });
    expect(parseListen('0.0.0.0:0')).to.deep.equal({ host: '0.0.0.0', port: 0 });
    expect(parseListen(DEFAULT_LISTEN)).to.deep.equal({ host: '127.0.0.1', port: 9088 });
  });

  it('rejects bad --listen values with one clear line', () => {
    for (const [bad, why] of [
      [':9088', /names no host/],
      ['127.0.0.1:70000', /outside 0-65535/],
      ['example.com:80', /not an IP address/],
      ['127.0.0.1', /not HOST:PORT/],
      ['::1:9088', /not HOST:PORT/],
    ] as const) {
      let err: unknown;
      try {
        parseListen(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).to.be.instanceOf(TcplensError);
      expect((err as TcplensError).code).to.equal('EUSAGE');
      expect((err as Error).message)
        .to.match(why)
        .and.match(/^--listen: /)
        .and.not.include('\n');
    }
  });

  it('a port in use is one clear error, not a crash', async () => {
    const m = await start(false);
    let err: unknown;
    try {
      await startMetrics({ listen: `127.0.0.1:${m.address.port}`, logger: quiet, bpfStats: false }, {});
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).to.equal(`--listen 127.0.0.1:${m.address.port}: address already in use`);
  });

  it('refuses /debug/* with 403 and says how to enable them when debug is off', async () => {
    const m = await start(false);
    for (const p of ['/debug/profile?seconds=1', '/debug/heap']) {
      const r = await fetch(`${m.url}${p}`);
      expect(r.status).to.equal(403);
      expect(await r.text()).to.match(/debug endpoints are off: start tcplens with --debug-endpoints/);
    }
    expect((await fetch(`${m.url}/nope`)).status).to.equal(404);
    expect((await fetch(`${m.url}/metrics`, { method: 'POST' })).status).to.equal(405);
  });

  it('/debug/profile?seconds=1 returns a loadable .cpuprofile when enabled; bad seconds are 400', async () => {
    const m = await start(true);
    // keep the main thread a little busy so the profile has samples of our own code
    const busy = setInterval(() => {
      let x = 0;
      for (let i = 0; i < 1e5; i++) x += Math.sqrt(i);
      return x;
    }, 5);
    const t0 = Date.now();
    const r = await fetch(`${m.url}/debug/profile?seconds=1`);
    clearInterval(busy);
    expect(r.status).to.equal(200);
    expect(r.headers.get('content-disposition')).to.match(/\.cpuprofile"/);
    const p = JSON.parse(await r.text()) as {
      nodes: Array<{ id: number; callFrame: { functionName: string } }>;
      samples: number[];
      timeDeltas: number[];
      startTime: number;
      endTime: number;
    };
    expect(Date.now() - t0).to.be.at.least(1000);
    expect(p.nodes.length).to.be.greaterThan(1);
    expect(p.samples.length).to.be.greaterThan(0).and.equal(p.timeDeltas.length);
    const ids = new Set(p.nodes.map((n) => n.id));
    expect(p.samples.every((s) => ids.has(s))).to.equal(true); // every sample names a node: loadable
    expect(p.endTime - p.startTime).to.be.at.least(900_000); // microseconds
    for (const bad of ['0', '-1', 'abc', '61']) expect((await fetch(`${m.url}/debug/profile?seconds=${bad}`)).status, bad).to.equal(400);
  });

  it('/debug/heap streams a heap snapshot when enabled', async () => {
    const m = await start(true);
    const r = await fetch(`${m.url}/debug/heap`);
    expect(r.status).to.equal(200);
    const snap = JSON.parse(await r.text()) as { snapshot: { meta: { node_fields: string[] }; node_count: number }; nodes: number[] };
    expect(snap.snapshot.meta.node_fields).to.include('name');
    expect(snap.nodes.length).to.equal(snap.snapshot.node_count * snap.snapshot.meta.node_fields.length);
  });
});
