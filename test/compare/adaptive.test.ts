// `tcplens compare --views adaptive,poll`: the adaptive poll on a workload
// whose flows get four times shorter halfway (600 ms, then 150 ms), beside
// fixed pollers at the two intervals that would suit each half. It should see
// its target share (90%) within 3 points, and the model (min(1, L/P) over
// the gaps the dumps really had) should be within 2 points of what each
// fixed poller saw. Both hold only when a dump is short against the
// interval (a quarter of it at most; 40 ms for the adaptive poll, whose
// second half needs ~167 ms) and the budget is not what sets the interval: on a host whose
// other namespaces hold ~100k sockets a dump costs ~50 ms of CPU, and under
// a load of 20 on 2 cores it lasts half a second; the test says so and skips
// those checks then, keeping the ones that hold anyway.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CompareResult } from '../../src/compare/run';
import type { ViewReport } from '../../src/compare/report';
import { skipUnlessEvents } from '../helpers/events';

const BIN = path.resolve(__dirname, '../../../bin/tcplens.js');
const SPEC = 'rate=100,duration=600ms,then=150ms,flows=2000,arrival=even,bytes=1k,seed=3';
const TARGET = 0.9;

describe('tcplens compare: the adaptive poll', function () {
  this.timeout(300_000);
  let rep: CompareResult;
  let svg = '';
  let dir = '';
  const view = (name: string, interval?: number): ViewReport =>
    rep.views.find((v) => v.view === name && (interval === undefined || v.interval_ms === interval))!;

  before(function () {
    skipUnlessEvents(this);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-adaptive-'));
    const svgFile = path.join(dir, 'cmp.svg');
    const args = ['compare', '--json', '--loadgen', SPEC, '--views', 'adaptive,poll', '--intervals', '150ms,600ms'];
    const r = spawnSync(process.execPath, [BIN, ...args, '--coverage-target', '90%', '--cpu-budget', '50%', '--svg', svgFile], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    expect(r.status, r.stderr).to.equal(0);
    rep = JSON.parse(r.stdout) as CompareResult;
    svg = fs.readFileSync(svgFile, 'utf8');
    for (const v of rep.views)
      console.log(
        `      ${v.view} ${v.interval_ms ?? ''}: ${(v.coverage! * 100).toFixed(1)}% seen, predicted ${((v.predicted_coverage_kept ?? NaN) * 100).toFixed(1)}%, kept ${v.effective_interval_ms} ms, dump ${v.cycle_wall_ms_mean} ms wall, ${v.cpu_pct}% CPU, ${v.seen_per_cpu_ms} seen/CPU ms`,
      );
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs beside the fixed pollers and reports its choice, its cost and coverage per CPU ms', () => {
    expect(rep.flows_total).to.equal(2000);
    const a = view('adaptive');
    expect(a.available, a.reason).to.equal(true);
    expect(a.adaptive_target).to.equal(TARGET);
    expect(a.adaptive_cpu_budget).to.equal(0.5);
    // between what each half needs (667 ms, 167 ms), over the run
    expect(a.adaptive_interval_ms_mean).to.be.within(100, 700);
    for (const v of rep.views) {
      expect(v.seen_per_cpu_ms, v.view).to.be.a('number').and.greaterThan(0);
      expect(v.seen_per_cpu_ms!).to.be.closeTo(v.flows_seen / (v.cpu_us! / 1000), 0.01);
    }
  });

  it('the chart has coverage against cost for every strategy', () => {
    expect(svg).to.match(/coverage against cost, every strategy/);
    for (const l of ['adaptive 90%', 'poll 150ms', 'poll 600ms']) expect(svg, l).to.include(`>${l}</text>`);
  });

  it('reaches its target within 3 points when the budget and the dumps let it', function () {
    const a = view('adaptive');
    if (a.adaptive_limited_share! > 0.1 || a.cycle_wall_ms_mean! > 40) {
      console.log(
        `      (not checked: ${(a.adaptive_limited_share! * 100).toFixed(0)}% of its choices were set by the budget or the dump, dumps took ${a.cycle_wall_ms_mean} ms; it predicted ${a.predicted_coverage_kept} and saw ${a.coverage})`,
      );
      this.skip();
    }
    expect(Math.abs(a.coverage! - TARGET), `adaptive saw ${a.coverage}`).to.be.at.most(0.03);
  });

  it('the prediction is within 2 points of each fixed poller when its dumps are short against its interval', function () {
    let checked = 0;
    for (const P of [150, 600]) {
      const v = view('poll', P);
      if (v.cycle_wall_ms_mean! > P / 4) {
        console.log(`      (poll ${P} ms not checked: its dumps took ${v.cycle_wall_ms_mean} ms)`);
        continue;
      }
      checked++;
      const sigma = Math.sqrt((v.coverage! * (1 - v.coverage!)) / v.flows_total);
      expect(Math.abs(v.coverage! - v.predicted_coverage_kept!), `poll ${P} ms`).to.be.at.most(Math.max(0.02, 4 * sigma));
    }
    if (!checked) this.skip();
  });
});
