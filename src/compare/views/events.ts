// The events view as compare drives it: eBPF state-change events from a
// no-wakeup ring buffer (src/sources/events.ts, columns per
// native/event_columns.h), drained every tick. The first event of a socket
// (SYN_SENT or an open) is its first sighting; the close event carries the
// final counters (flags & EVF.FINAL).
import { EventSource, type EventOptions } from '../../sources/events';
import { resolveNetns, type NetnsSelector } from '../../netns/select';
import type { DriverFactory } from './driver';
import type { ObsTable } from '../observe';
import type { ColumnBatch } from '../../layout/batch';
import { EV_KIND, EVF } from '../../layout/event_columns';

/** The ring is consumed in batches on a timer, never woken per event (ENVIRONMENT.md). */
export const EVENTS_DRAIN_MS = 100;
const SETTLE_MS = 150;
/** the tracer filters on at most this many namespaces in the kernel */
const MAX_NETNS_FILTER = 8;

/** An event source filtered in the kernel on the watched namespaces (all past the filter's size), or why there is none. */
export function eventSourceFor(netns: NetnsSelector, opts: EventOptions = {}): EventSource | { unavailable: string } {
  const a = EventSource.availability();
  if (!a.ok) return { unavailable: a.reason };
  const inodes = netns.kind === 'all' ? [] : resolveNetns(netns).namespaces.map((n) => n.inode);
  return new EventSource({ ...opts, netns: inodes.length <= MAX_NETNS_FILTER ? inodes : [] });
}

export const eventsDriver: DriverFactory = (opts) => {
  const src = eventSourceFor(opts.netns);
  if (!(src instanceof EventSource)) return src;
  const read =
    (obs: ObsTable) =>
    (b: ColumnBatch): void => {
      const flags = b.u8('flags'),
        kind = b.u8('kind');
      obs.observeBatch(b, {
        stateColumn: 'newstate',
        final: (i) => (flags[i]! & EVF.FINAL) !== 0,
        passive: (i) => kind[i] === EV_KIND.PASSIVE_OPEN,
      });
    };
  return {
    tickMs: EVENTS_DRAIN_MS,
    start: async () => {
      src.start();
    },
    tick: async (obs) => (await src.drain(read(obs))).rows,
    finish: async (obs) => {
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      await src.drain(read(obs));
    },
    counters: () => {
      const s = src.stats();
      return { events: s.events, ring_bytes_read: s.bytes, batches: s.batches, malformed: s.malformed, lost: s.lost };
    },
    close: () => src.close(),
  };
};
