// The samples view as compare drives it: one eBPF task-iterator pass per
// tick (src/sources/samples.ts, columns per native/sample_columns.h), every
// thread included (--all), so a thread blocked on a flow's socket is a
// sighting of that flow. Samples carry no byte counters.
import { SampleSource, sampleAvailability } from '../../sources/samples';
import type { DriverFactory } from './driver';
import { numericStats } from './stats';
import { SMF } from '../../layout/sample_columns';

export const samplesDriver: DriverFactory = (opts) => {
  const a = sampleAvailability();
  if (!a.ok) return { unavailable: a.reason };
  const src = new SampleSource({ all: true });
  return {
    tickMs: opts.intervalMs,
    start: async () => {
      src.start();
    },
    tick: async (obs) =>
      (
        await src.sample((b) => {
          const flags = b.u8('flags');
          obs.observeBatch(b, { skip: (i) => (flags[i]! & SMF.SOCKET) === 0 });
        })
      ).rows,
    finish: async () => {},
    counters: () => numericStats(src.stats()),
    close: () => src.close(),
  };
};
