// The poll view as compare drives it: one inet_diag dump per tick, asking the
// kernel only for the states a flow's socket passes through.
import { PollSource } from '../../sources/poll';
import { FLOW_STATES_MASK } from '../observe';
import type { DriverFactory } from './driver';
import { numericStats } from './stats';

export const pollDriver: DriverFactory = (opts) => {
  const src = new PollSource({ netns: opts.netns, states: FLOW_STATES_MASK });
  return {
    tickMs: opts.intervalMs,
    start: async () => {
      /* the first cycle opens the namespaces */
    },
    tick: async (obs) => (await src.cycle((b) => obs.observeBatch(b))).sockets,
    finish: async () => {},
    counters: () => numericStats(src.stats().map((s) => s.stats)),
    close: () => src.close(),
  };
};
