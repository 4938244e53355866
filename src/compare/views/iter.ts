// The iterator poll as compare drives it (--poll-via iter): one full iter/tcp
// pass per tick, a poller per interval like the inet_diag poll, so the two
// are compared on the same flows, each with its own cost.
import { IterPollSource, iterAvailability } from '../../sources/iter_poll';
import type { DriverFactory } from './driver';
import { numericStats } from './stats';

export const iterDriver: DriverFactory = (opts) => {
  const a = iterAvailability();
  if (!a.ok) return { unavailable: a.reason };
  const src = new IterPollSource({ netns: opts.netns });
  try {
    src.start();
  } catch (e) {
    src.close();
    return { unavailable: (e as Error).message };
  }
  return {
    tickMs: opts.intervalMs,
    start: async () => {
      /* loaded above; the first pass enters the namespaces */
    },
    // every pass full: a flow is seen at every tick it lives through, as by the inet_diag poll
    tick: async (obs) => (await src.cycle((b) => obs.observeBatch(b), true)).sockets,
    finish: async () => {},
    counters: () => numericStats(src.iterStats()),
    close: () => src.close(),
  };
};
