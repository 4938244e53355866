// `tcplens run` settings: flags, --config JSON, TCPLENS_* variables, and the
// one-line errors for bad ones (no ClickHouse needed: --sink stdout).
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { BIN, runFixture, startRun } from '../helpers/run_proc';

describe('tcplens run settings', function () {
  this.timeout(60_000);
  const fx = runFixture('runcfg', 'tlcfg-');

  const quick = (): string[] => ['--netns', fx.ns, '--sink', 'stdout', '--duration', '300ms', '--listen', '127.0.0.1:0', '--views', 'poll'];

  it('takes TCPLENS_* variables, and a --config file wins over them', async () => {
    const a = startRun(quick(), { TCPLENS_INTERVAL: '700ms' });
    expect(await a.exited).to.equal(0);
    expect(a.last('run.started')!['interval_ms']).to.equal(700);
    const cfg = path.join(fx.dir, 'tcplens.json');
    fs.writeFileSync(cfg, JSON.stringify({ interval: '900ms' }));
    const b = startRun([...quick(), '--config', cfg], { TCPLENS_INTERVAL: '700ms' });
    expect(await b.exited).to.equal(0);
    expect(b.last('run.started')!['interval_ms']).to.equal(900);
    const c = startRun([...quick(), '--config', cfg, '--interval', '1100ms']);
    expect(await c.exited).to.equal(0);
    expect(c.last('run.started')!['interval_ms']).to.equal(1100);
  });

  it('bad settings: one line, exit 2, and a password in a URL is neither used nor echoed', () => {
    const run = (args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; err: string } => {
      const r = spawnSync(process.execPath, [BIN, 'run', ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
      return { status: r.status, err: r.stderr };
    };
    const cfg = path.join(fx.dir, 'bad.json');
    fs.writeFileSync(cfg, JSON.stringify({ bogus: 1 }));
    for (const [args, env, why] of [
      [['--interval', 'soon'], {}, /--interval: "soon" is not a duration/],
      [[], { TCPLENS_MAX_FLOWS: 'lots' }, /TCPLENS_MAX_FLOWS: "lots" is not a number/],
      [['--views', 'poll,magic'], {}, /--views: unknown view "magic"/],
      [['--config', cfg], {}, /--config .*: unknown key "bogus"/],
      [['--clickhouse-url', 'http://me:hunter2@ch:8123'], {}, /must not carry credentials/],
      [['--sink', 'kafka'], {}, /--sink: clickhouse, stdout or file:PATH expected/],
      [['--health-by', 'ports'], {}, /--health-by: unknown breakdown "ports"/],
      [['--health-by', 'peer'], {}, /--health-by peer: name the peers with --health-peers/],
      [['--health-peers', '10.0.0.0/33=dc1'], {}, /--health-peers: \/33 is too long/],
      [['--no-health', '--health-by', 'comm'], {}, /the health metrics are off/],
      [[], { TCPLENS_HEALTH_MAX_SERIES: '-1' }, /--health-max-series: a whole number/],
    ] as const) {
      const r = run([...args], env);
      expect(r.status, String(why)).to.equal(2);
      expect(r.err.trim().split('\n'), r.err).to.have.length(1);
      expect(r.err).to.match(why);
      expect(r.err).to.not.include('hunter2');
    }
  });
});
