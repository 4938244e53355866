// V8's heap growing factor capped from the process itself: garbage that
// survives scavenges (a burst's closed flows) is collected before the old
// space grows to a multiple of its live size.
import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as path from 'path';
import { heapGrowthFlag } from '../../src/run/heap_growth';

/** The most old-space bytes in use while a 20 MB live set stays and 3M
 * objects pass through a ring (each lives past a scavenge: promoted garbage). */
function peakOldSpace(cap: boolean): number {
  const mod = path.resolve(__dirname, '../../src/run/heap_growth.js');
  const script = `
    const v8 = require('v8');
    if (${cap}) require(${JSON.stringify(mod)}).capHeapGrowth([]);
    const live = [];
    for (let i = 0; i < 200000; i++) live.push({ a: i, b: [i, i + 1] });
    const ring = new Array(50000);
    let max = 0;
    for (let i = 0; i < 3e6; i++) {
      ring[i % ring.length] = { x: i, y: [i, i + 1] };
      if (i % 5000 === 0) max = Math.max(max, v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_used_size);
    }
    console.log(max, live.length);`;
  const out = execFileSync(process.execPath, ['--max-semi-space-size=1', '-e', script], { encoding: 'utf8' });
  return Number(out.split(' ')[0]);
}

describe('capHeapGrowth', () => {
  it('keeps the old space nearer its live size than V8 does by default', () => {
    const capped = peakOldSpace(true),
      free = peakOldSpace(false);
    expect(capped).to.be.below(0.75 * free, `old space at most ${capped} B capped vs ${free} B`);
  });

  it("leaves the user's own --heap-growing-percent", () => {
    // the argv check alone: setting the flag here would change this test process's heap
    expect(heapGrowthFlag(['--heap-growing-percent=50'])).to.equal(null);
    expect(heapGrowthFlag(['--heap_growing_percent=50'])).to.equal(null);
    expect(heapGrowthFlag(['--max-semi-space-size=4'])).to.equal('--heap-growing-percent=30');
  });
});
