// Targeted snapshots as compare drives them: the events view's ring drained
// every tick, every open answered at once by an exact-match inet_diag request
// for that one socket (src/sources/targeted.ts). Only the answers are
// sightings: a flow counts as seen when it got a snapshot while it lived. The
// cost is all of it (the events drain it needs, and the requests).
import { EventSource } from '../../sources/events';
import { TargetedSource } from '../../sources/targeted';
import { TargetQueue } from '../../run/target_queue';
import { eventSourceFor } from './events';
import type { DriverFactory } from './driver';
import type { ObsTable } from '../observe';

/** Drained often: a flow must still live when its open is read. */
export const TARGETED_DRAIN_MS = 5;
const SETTLE_MS = 50;

export const targetedDriver: DriverFactory = (opts) => {
  const events = eventSourceFor(opts.netns);
  if (!(events instanceof EventSource)) return events;
  const queue = new TargetQueue({ open: 0 }, { ratePerS: 100_000 });
  const source = new TargetedSource(opts.netns);
  const c = { requested: 0, answered: 0, gone: 0, failed: 0 };
  const round = async (obs: ObsTable): Promise<number> => {
    await events.drain((b) => queue.observe(b));
    const r = await source.lookup(queue.due(), (b) => obs.observeBatch(b));
    c.requested += r.requested;
    c.answered += r.answered;
    c.gone += r.gone;
    c.failed += r.failed;
    return r.answered;
  };
  return {
    tickMs: opts.intervalMs > 0 ? opts.intervalMs : TARGETED_DRAIN_MS,
    start: async () => {
      events.start();
    },
    tick: round,
    finish: async (obs) => {
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      await round(obs);
    },
    counters: () => {
      const q = queue.counts();
      const e = events.stats();
      return { ...c, gone_before_asked: q.closedFirst, events: e.events, lost: e.lost };
    },
    close: () => {
      source.close();
      events.close();
    },
  };
};
