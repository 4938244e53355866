// The destroy view as compare drives it: subscribed before the workload
// starts, its queue drained every tick; every record is a final one.
import { DestroySource } from '../../sources/destroy';
import type { DriverFactory } from './driver';
import { numericStats } from './stats';

/** The kernel queues destroy records; draining often keeps the queue small. */
export const DESTROY_DRAIN_MS = 20;
/** Closes of the last flows reach the queue within a few ms. */
const SETTLE_MS = 100;

export const destroyDriver: DriverFactory = (opts) => {
  const src = new DestroySource({ netns: opts.netns });
  const drain = async (obs: import('../observe').ObsTable): Promise<number> =>
    (await src.drain((b) => obs.observeBatch(b, { final: true }))).rows;
  return {
    tickMs: DESTROY_DRAIN_MS,
    start: async () => {
      src.refresh();
    },
    tick: async (obs) => {
      src.refresh();
      return drain(obs);
    },
    finish: async (obs) => {
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      await drain(obs);
    },
    counters: () => numericStats(src.stats().map((s) => s.stats)),
    close: () => src.close(),
  };
};
