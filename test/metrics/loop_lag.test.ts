// Event-loop lag gauges: the delay beyond the 1 s sampling period, so an idle
// loop reads about 0 and a blocked one reads how long it was blocked.
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { loopLagMetrics } from '../../src/metrics/loop_lag';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function lag(reg: Registry, stat: string): Promise<number> {
  const m = await reg.getSingleMetric(`t_nodejs_eventloop_lag_${stat}_seconds`)!.get();
  return Number(m.values[0]?.value);
}

describe('event-loop lag gauges', function () {
  this.timeout(20_000);

  it('read the delay beyond the sampling period: about 0 when idle, at least half a second after a 1.5 s block', async () => {
    const reg = new Registry();
    loopLagMetrics(reg, 't_');
    await sleep(3200);
    const idle = await lag(reg, 'p99');
    await reg.metrics(); // a scrape: the histogram starts again
    await sleep(1100); // (the first expiration after a reset only starts the clock)
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      /* a blocked loop: one timer expiration falls inside, at least 500 ms before the end */
    }
    await sleep(1200);
    const blocked = await lag(reg, 'max');
    console.log(`      idle p99 ${idle.toFixed(3)} s, after a 1.5 s block max ${blocked.toFixed(3)} s`);
    expect(idle, 'idle p99 (prom-client read the 1 s period itself here)').to.be.below(0.5);
    expect(blocked).to.be.within(0.45, 1.6);
  });
});
