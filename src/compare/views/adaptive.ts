// The adaptive poll as compare drives it (src/run/adaptive.ts): before every
// poll, the events view's ring is drained for the lifetimes of the
// connections that closed (./connection_lifetimes.ts); after it, the next
// interval is chosen from them, the target and the CPU budget. Its cost is
// all of it: the dumps and the drains it needs. Its counters sum the
// intervals and predictions it made, so the report can give their means.
import { EventSource } from '../../sources/events';
import { PollSource } from '../../sources/poll';
import { AdaptiveInterval, measureCycle } from '../../run/adaptive';
import { FLOW_STATES_MASK } from '../observe';
import { eventSourceFor } from './events';
import type { DriverFactory } from './driver';
import { ConnectionLifetimes } from './connection_lifetimes';
import { numericStats } from './stats';

/** the events are drained at least this often: a turn to shorter flows is seen as soon as they close */
const DRAIN_MS = 20;
/** the first interval, before any lifetime is known */
const INITIAL_MS = 100;
const MIN_MS = 1;
const MAX_MS = 10_000;

export const adaptiveDriver: DriverFactory = (opts) => {
  const events = eventSourceFor(opts.netns);
  if (!(events instanceof EventSource)) return { unavailable: `needs the events view for the lifetimes: ${events.unavailable}` };
  const a = opts.adaptive ?? { target: 0.9, cpuBudget: 0.01 };
  const ctl = new AdaptiveInterval({ ...a, initialMs: opts.intervalMs || INITIAL_MS, minMs: MIN_MS, maxMs: MAX_MS });
  const poll = new PollSource({ netns: opts.netns, states: FLOW_STATES_MASK });
  const lives = new ConnectionLifetimes(ctl);
  let lastPoll = -Infinity;
  const mids: number[] = [];
  const c = {
    polls: 0,
    poll_wall_sum_us: 0,
    limited_budget: 0,
    limited_dump: 0,
    decisions: 0,
    interval_sum_us: 0,
    predicted_n: 0,
    predicted_sum_ppm: 0,
  };
  return {
    // ticks come every DRAIN_MS, or sooner when the poll is due sooner
    get tickMs() {
      return Math.max(0.5, Math.min(DRAIN_MS, lastPoll + ctl.intervalMs - performance.now()));
    },
    start: async () => {
      events.start();
    },
    tick: async (obs) => {
      await events.drain((b) => lives.feed(b));
      if (performance.now() < lastPoll + ctl.intervalMs - 0.5) return 0;
      c.polls++;
      const m = await measureCycle(() => poll.cycle((b) => obs.observeBatch(b)));
      lastPoll = m.startMs;
      mids.push(m.startMs + m.wallMs / 2);
      ctl.afterCycle(m.cpuMs, m.wallMs, m.startMs);
      const s = ctl.stats();
      c.decisions++;
      c.poll_wall_sum_us += Math.round(m.wallMs * 1000);
      if (s.limit === 'budget' || s.limit === 'ceiling') c.limited_budget++;
      if (s.limit === 'dump') c.limited_dump++;
      c.interval_sum_us += Math.round(s.intervalMs * 1000);
      if (s.predictedCoverage !== null) {
        c.predicted_n++;
        c.predicted_sum_ppm += Math.round(s.predictedCoverage * 1e6);
      }
      return m.result.sockets;
    },
    finish: async () => {},
    counters: () => {
      const e = events.stats();
      return {
        ...numericStats(poll.stats().map((s) => s.stats)),
        ...c,
        paired: lives.paired,
        alone: lives.alone,
        events: e.events,
        lost: e.lost,
      };
    },
    instants: () => mids,
    close: () => {
      poll.close();
      events.close();
    },
  };
};
