// The samples view as compare drives it: an xcapture-style task sampler
// (src/sources/samples.ts, columns per native/sample_columns.h) at
// 1000/intervalMs Hz. A flow is seen when a sampled thread waits on its
// socket; samples carry no byte counters.
import { loadSource, numericStats, rowsOf } from './optional';
import type { DriverFactory } from './driver';
import type { ObsTable } from '../observe';
import type { ColumnBatch } from '../../layout/batch';

const TL_SMF_SOCKET = 0x08;

export const samplesDriver: DriverFactory = (opts) => {
  const Ctor = loadSource('../../sources/samples', 'SampleSource');
  if ('unavailable' in Ctor) return Ctor;
  const src = new Ctor({ netns: opts.netns, hz: 1000 / opts.intervalMs, intervalMs: opts.intervalMs });
  const read = (obs: ObsTable) => (b: ColumnBatch): void => {
    const flags = b.u8('flags');
    obs.observeBatch(b, { skip: (i) => (flags[i]! & TL_SMF_SOCKET) === 0 });
  };
  return {
    tickMs: opts.intervalMs,
    start: async () => { await src.start?.(); },
    tick: async (obs) => rowsOf(await src.drain(read(obs))),
    finish: async (obs) => { await src.drain(read(obs)); },
    counters: () => numericStats(src.stats?.()),
    close: () => src.close(),
  };
};
