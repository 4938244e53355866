// The events view as compare drives it: eBPF state-change events from a ring
// buffer (src/sources/events.ts, columns per native/event_columns.h), drained
// every tick. Open events give the first sighting; the close event carries
// the final counters (flags & TL_EVF_FINAL).
import { loadSource, numericStats, rowsOf } from './optional';
import type { DriverFactory } from './driver';
import type { ObsTable } from '../observe';
import type { ColumnBatch } from '../../layout/batch';

/** The ring is consumed in batches on a timer (BPF_RB_NO_WAKEUP): see ENVIRONMENT.md. */
export const EVENTS_DRAIN_MS = 100;
const SETTLE_MS = 150;
const TL_EVF_FINAL = 0x01;

export const eventsDriver: DriverFactory = (opts) => {
  const Ctor = loadSource('../../sources/events', 'EventSource');
  if ('unavailable' in Ctor) return Ctor;
  const src = new Ctor({ netns: opts.netns });
  const read = (obs: ObsTable) => (b: ColumnBatch): void => {
    const flags = b.u8('flags');
    obs.observeBatch(b, { stateColumn: 'newstate', final: (i) => (flags[i]! & TL_EVF_FINAL) !== 0 });
  };
  return {
    tickMs: EVENTS_DRAIN_MS,
    start: async () => { await src.start?.(); },
    tick: async (obs) => rowsOf(await src.drain(read(obs))),
    finish: async (obs) => { await new Promise((r) => setTimeout(r, SETTLE_MS)); await src.drain(read(obs)); },
    counters: () => numericStats(src.stats?.()),
    close: () => src.close(),
  };
};
