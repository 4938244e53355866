// Events as plain rows for assertions, and a source bound to one namespace.
import * as fs from 'fs';
import { EventSource, type EventOptions } from '../../src/sources/events';
import { EVENT_KINDS } from '../../src/layout/event_columns';
import type { ColumnBatch } from '../../src/layout/batch';
import { createNetns, deleteNetns, isRoot } from './netns';
import { skipIf } from './skip';

export interface EventRow {
  kind: string;
  cookie: string;
  sport: number;
  dport: number;
  oldstate: number;
  newstate: number;
  flags: number;
  pid: number;
  tgid: number;
  comm: string;
  durationNs: number;
  acked: number;
  received: number;
  segsIn: number;
  segsOut: number;
  retrans: number;
  delivered: number;
  rtt: number;
  tsNs: bigint;
}

export const netnsInode = (name: string): number => fs.statSync(`/run/netns/${name}`).ino;

/** A started EventSource that keeps only the given namespace's events. */
export function nsEvents(ns: string, opts: EventOptions = {}): EventSource {
  const src = new EventSource({ netns: [netnsInode(ns)], ...opts });
  src.start();
  return src;
}

/** Whether the source's state changes carry cookies generated at the event
 * (tp_btf with bpf_get_socket_cookie, 5.12+), or only those inet_diag made
 * before (the variants older kernels run: 0 for a socket never polled). */
export const cookiesGenerated = (src: EventSource): boolean =>
  src
    .parts()
    .find((p) => p.part === 'state')
    ?.program.startsWith('btf_') ?? false;

/** Every event the source holds now; `offsets` receives each batch's
 * wall-minus-monotonic offset. */
/** The final counters an events or destroy row carries (row i of b). */
export function finalCounters(b: ColumnBatch, i: number): FinalCounters {
  return {
    acked: Number(b.u64('tcpi_bytes_acked')[i]!),
    received: Number(b.u64('tcpi_bytes_received')[i]!),
    segsIn: b.u32('tcpi_segs_in')[i]!,
    segsOut: b.u32('tcpi_segs_out')[i]!,
    retrans: b.u32('tcpi_total_retrans')[i]!,
    delivered: b.u32('tcpi_delivered')[i]!,
  };
}
export type FinalCounters = Pick<EventRow, 'acked' | 'received' | 'segsIn' | 'segsOut' | 'retrans' | 'delivered'>;

export async function collectEvents(src: EventSource, offsets: number[] = []): Promise<EventRow[]> {
  const rows: EventRow[] = [];
  await src.drain((b, ctx) => {
    offsets.push(ctx.offsetNs);
    for (let i = 0; i < b.rows; i++) {
      const comm = b.u32('comm')[i]!;
      rows.push({
        kind: EVENT_KINDS[b.u8('kind')[i]!]!,
        cookie: b.u64('idiag_cookie')[i]!.toString(),
        sport: b.u16('sport')[i]!,
        dport: b.u16('dport')[i]!,
        oldstate: b.u8('oldstate')[i]!,
        newstate: b.u8('newstate')[i]!,
        flags: b.u8('flags')[i]!,
        pid: b.u32('pid')[i]!,
        tgid: b.u32('tgid')[i]!,
        comm: comm ? ctx.names[comm - 1]! : '',
        durationNs: Number(b.u64('duration_ns')[i]!),
        ...finalCounters(b, i),
        rtt: b.u32('tcpi_rtt')[i]!,
        tsNs: b.u64('ts_ns')[i]!,
      });
    }
  });
  return rows;
}

/** Skips the suite, saying why, without root (namespaces) or the events view (eBPF). */
export function skipUnlessEvents(ctx: Mocha.Context): void {
  skipIf(ctx, !isRoot(), 'needs root for network namespaces and eBPF');
  const a = EventSource.availability();
  skipIf(ctx, !a.ok, `events view unavailable here: ${a.ok ? '' : a.reason}`);
}

/** Hooks for a suite of events tests on the real kernel: skipped without the
 * events view, a namespace of its own per test (handed to `setNs`), and every
 * source passed to `track` closed after the test (or sooner by `closeTracked`). */
export function eventsSuite(
  prefix: string,
  setNs: (ns: string) => void,
): { track: (s: EventSource) => EventSource; closeTracked: () => void } {
  let ns = '';
  const open: EventSource[] = [];
  before(function () {
    skipUnlessEvents(this);
  });
  beforeEach(() => {
    ns = createNetns(prefix);
    setNs(ns);
  });
  const closeTracked = (): void => {
    for (const s of open.splice(0)) s.close();
  };
  afterEach(() => {
    closeTracked();
    if (ns) deleteNetns(ns);
    ns = '';
  });
  const track = (s: EventSource): EventSource => {
    open.push(s);
    return s;
  };
  return { track, closeTracked };
}
