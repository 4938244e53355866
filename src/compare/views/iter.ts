// The iterator poll as compare drives it (--poll-via iter): one full iter/tcp
// pass per tick, a poller per interval like the inet_diag poll, so the two
// are compared on the same flows, each with its own cost. The host pass
// (--poll-via host, view `host`) the same way, with run's default sweep of
// the sockets no process holds (every HOST_SWEEP_EVERY ticks).
import { IterPollSource, iterAvailability } from '../../sources/iter_poll';
import { HOST_SWEEP_EVERY } from '../../sources/poll_via';
import type { DriverFactory } from './driver';
import { numericStats } from './stats';

const driver =
  (host: boolean): DriverFactory =>
  (opts) => {
    const a = iterAvailability();
    if (!a.ok) return { unavailable: a.reason };
    return drive(new IterPollSource({ netns: opts.netns, ...(host ? { host: { sweepEvery: HOST_SWEEP_EVERY } } : {}) }), opts.intervalMs);
  };

export const iterDriver = driver(false);
export const hostDriver = driver(true);

function drive(src: IterPollSource, intervalMs: number): ReturnType<DriverFactory> {
  try {
    src.start();
  } catch (e) {
    src.close();
    return { unavailable: (e as Error).message };
  }
  return {
    tickMs: intervalMs,
    start: async () => {
      /* loaded above; the first pass enters the namespaces */
    },
    // every pass full: a flow is seen at every tick it lives through, as by the inet_diag poll
    tick: async (obs) => (await src.cycle((b) => obs.observeBatch(b), true)).sockets,
    finish: async () => {},
    counters: () => numericStats(src.iterStats()),
    close: () => src.close(),
  };
}
