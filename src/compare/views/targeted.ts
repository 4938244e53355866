// Targeted snapshots as compare drives them: the events view's opens and
// closes, read by its reader thread and woken by their arrival (no clock), a
// batch gathered for TARGETED_BATCH_MS, then every open answered by an
// exact-match inet_diag request for that one socket (src/sources/targeted.ts).
// Only the answers are sightings: a flow counts as seen when it got a
// snapshot while it lived. The cost is all of it: the reader thread's CPU,
// the drains and the requests.
import { kindMask, EventSource } from '../../sources/events';
import { TargetedSource } from '../../sources/targeted';
import { TargetQueue, type Target } from '../../run/target_queue';
import { eventSourceFor } from './events';
import type { DriverFactory } from './driver';
import type { ObsTable } from '../observe';

/** Opens wait at most this long to be asked about together: a flow that
 * lives longer is caught; a shorter one may be gone when asked. */
export const TARGETED_BATCH_MS = 25;
const SETTLE_MS = 50;
/** a connection's other end is not asked about again for this long */
const PAIR_MS = 2000;

/** 16 address bytes as a 16-character key (cheaper than hex) */
const bin = (b: Uint8Array): string => String.fromCharCode(...b);
const endKey = (t: Target, reverse: boolean): string =>
  reverse ? `${t.ns}|${bin(t.dst)}|${t.dport}|${bin(t.src)}|${t.sport}` : `${t.ns}|${bin(t.src)}|${t.sport}|${bin(t.dst)}|${t.dport}`;

/** Compare counts connections: when both ends are watched (loopback, or two
 * watched namespaces), only the first end whose open arrives is asked about. */
class OneEndPerConnection {
  private asked = new Map<string, number>();
  private old = new Map<string, number>();
  private turnedAt = performance.now();
  skipped = 0;

  keep(targets: readonly Target[]): Target[] {
    const now = performance.now();
    if (now - this.turnedAt > PAIR_MS) {
      // two generations: an entry lives PAIR_MS to 2 * PAIR_MS
      this.old = this.asked;
      this.asked = new Map();
      this.turnedAt = now;
    }
    return targets.filter((t) => {
      const other = endKey(t, true);
      if (this.asked.has(other) || this.old.has(other)) {
        this.skipped++;
        return false;
      }
      this.asked.set(endKey(t, false), now);
      return true;
    });
  }
}

export const targetedDriver: DriverFactory = (opts) => {
  const events = eventSourceFor(opts.netns, {
    kinds: kindMask('ACTIVE_OPEN', 'PASSIVE_OPEN', 'CLOSE'),
    pumpMs: TARGETED_BATCH_MS,
    wakeBytes: 4096,
    batchRows: 256,
  });
  if (!(events instanceof EventSource)) return events;
  const queue = new TargetQueue({ open: 0 }, { ratePerS: 100_000 });
  const source = new TargetedSource(opts.netns);
  const pairs = new OneEndPerConnection();
  const c = { requested: 0, answered: 0, gone: 0, failed: 0 };
  const round = async (obs: ObsTable): Promise<number> => {
    await events.drain((b) => queue.observe(b));
    const r = await source.lookup(pairs.keep(queue.due()), (b) => obs.observeBatch(b));
    c.requested += r.requested;
    c.answered += r.answered;
    c.gone += r.gone;
    c.failed += r.failed;
    return r.answered;
  };
  return {
    tickMs: TARGETED_BATCH_MS,
    start: async () => {
      events.start();
    },
    tick: round,
    watch: (wake) => events.watch(wake, true),
    backgroundCpuUs: () => (events.stats().pump?.cpuNs ?? 0) / 1000,
    finish: async (obs) => {
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      await round(obs);
    },
    counters: () => {
      const q = queue.counts();
      const e = events.stats();
      return { ...c, other_end_skipped: pairs.skipped, gone_before_asked: q.closedFirst, events: e.events, lost: e.lost };
    },
    close: () => {
      source.close();
      events.close();
    },
  };
};
