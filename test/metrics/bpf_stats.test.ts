// BPF program run count and time of the programs this process holds, with
// run-time accounting switched on through BPF_ENABLE_STATS (scoped to our fd).
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { bpfStatsAddon } from '../../src/native/bpf_stats';
import { startMetrics } from '../../src/metrics/server';
import { Logger } from '../../src/util/log';
import { isRoot } from '../helpers/netns';
import { scrape } from './scrape';
import { skipIf } from '../helpers/skip';

describe('BPF program stats', () => {
  before(function () {
    skipIf(this, !isRoot(), 'needs root (CAP_BPF, CAP_SYS_ADMIN) to load a BPF program');
  });

  it('counts every run of a program we hold, and its kernel time, while stats are on', async () => {
    const bpf = bpfStatsAddon();
    const fd = bpf.selftestLoad();
    const m = await startMetrics({ listen: '127.0.0.1:0', logger: new Logger({ write: () => undefined }) }, {});
    try {
      const s0 = await scrape(m.url);
      expect(s0.get('tcplens_bpf_stats_enabled')).to.equal(1);
      const before = s0.get('tcplens_bpf_prog_runs_total', { program: 'tl_selftest' }) ?? 0;
      bpf.selftestRun(fd, 5000);
      const s1 = await scrape(m.url);
      expect(s1.get('tcplens_bpf_prog_runs_total', { program: 'tl_selftest' })! - before).to.equal(5000);
      expect(s1.get('tcplens_bpf_prog_run_seconds_total', { program: 'tl_selftest' })).to.be.greaterThan(0);
    } finally {
      await m.close();
      fs.closeSync(fd);
    }
  });

  /** The global sysctl counts every program whatever we do: it is off for the
   * check (we are root) and put back after. The check runs in a process of its
   * own: another holder in this one would keep counting on. */
  function alone(...args: string[]): Record<string, unknown> {
    const SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';
    const was = fs.readFileSync(SYSCTL, 'utf8').trim();
    if (was !== '0') fs.writeFileSync(SYSCTL, '0');
    try {
      const r = spawnSync(process.execPath, [path.join(__dirname, '../helpers/bpf_stats_close.js'), ...args], { encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    } finally {
      if (was !== '0') fs.writeFileSync(SYSCTL, was);
    }
  }

  it('closing turns our accounting off: runs are no longer counted', () => {
    expect(alone()).to.deep.equal({ enabledBefore: true, enabledAfter: false, runCnt: 100, stdinIsProg: false });
  });

  it('in windows (--bpf-stats FOR/EVERY): runs are counted only inside them, and the time held is told', () => {
    const r = alone('window');
    expect(r).to.include({ inFirst: true, between: false, inSecond: true, runCnt: 200 });
    // the first window's 300 ms and the second's start; the whole run is longer
    expect(r['held']).to.be.within(0.3, 0.6);
    expect(r['ran']).to.be.greaterThan(1.0);
  });
});
