// Event-loop lag, sampled once a second. Node's delay histogram records the
// time between its timer's expirations, the period included: prom-client's
// own gauges would read ~1 s at a 1 s period (its 10 ms default wakes an idle
// sidecar 100 times a second instead). These gauges keep prom-client's names
// and report the delay beyond the period.
import { monitorEventLoopDelay } from 'perf_hooks';
import type { Registry } from 'prom-client';
import { MetricSet } from './collected';

/** how often the lag histogram samples the loop */
export const EVENT_LOOP_SAMPLE_MS = 1000;

const STATS = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'] as const;
type LagStats = Record<(typeof STATS)[number], number>;

export function loopLagMetrics(reg: Registry, prefix: string): void {
  const h = monitorEventLoopDelay({ resolution: EVENT_LOOP_SAMPLE_MS });
  h.enable();
  const period = EVENT_LOOP_SAMPLE_MS * 1e6;
  const beyond = (ns: number): number => (Number.isFinite(ns) && h.count > 0 ? Math.max(0, ns - period) / 1e9 : 0);
  const set = new MetricSet<LagStats>(reg, () => {
    const s: LagStats = {
      min: beyond(h.min),
      max: beyond(h.max),
      mean: beyond(h.mean),
      stddev: h.count > 1 ? h.stddev / 1e9 : 0,
      p50: beyond(h.percentile(50)),
      p90: beyond(h.percentile(90)),
      p99: beyond(h.percentile(99)),
    };
    // each scrape reports the time since the last one, as prom-client's did
    // (the first expiration after a reset only restarts Node's clock)
    h.reset();
    return s;
  });
  for (const stat of STATS) {
    const name = `${prefix}nodejs_eventloop_lag_${stat}_seconds`;
    reg.removeSingleMetric(name);
    set.gauge(
      name,
      `event-loop delay beyond the ${EVENT_LOOP_SAMPLE_MS} ms sampling period since the last scrape: ${stat}`,
      (s) => s[stat],
    );
  }
}
