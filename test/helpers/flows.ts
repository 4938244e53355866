// Feeding a FlowTable from real sources in tests, the way `run` does.
import { FlowTable } from '../../src/correlate/flow_table';
import { PollSource } from '../../src/sources/poll';
import { parseNetnsSelector } from '../../src/netns/select';
import { createNetns, deleteNetns } from './netns';

/** One complete poll cycle of a one-namespace source into the table. */
export async function pollInto(poll: PollSource, table: FlowTable): Promise<void> {
  const r = await poll.cycle((b, ctx) => table.observePoll(b, BigInt(ctx.ns.inode)));
  const inode = BigInt(r.namespaces[0]!.ns.inode);
  table.endCycle(inode);
  table.beginCycle(inode);
}

/** What each test of a suite that feeds a FlowTable from the real kernel works with. */
export interface KernelFlows {
  /** a namespace of the test's own */
  ns: string;
  /** the poll view on it */
  poll: PollSource;
  /** the table, on `clock` (ms from 0, moved by the test); a flow is final 1 s after its close */
  table: FlowTable;
  clock: number;
  /** one complete poll cycle into the table */
  pollOnce(): Promise<void>;
  /** closes s after the test (before the poll view and the namespace go) */
  track<T extends { close(): void }>(s: T): T;
}

/** Hooks making a KernelFlows for each test and closing and removing it after. Call inside describe(). */
export function kernelFlows(tag: string): KernelFlows {
  const open: Array<{ close(): void }> = [];
  const fx = {
    ns: '',
    clock: 0,
    pollOnce: () => pollInto(fx.poll, fx.table),
    track: <T extends { close(): void }>(s: T): T => {
      open.push(s);
      return s;
    },
  } as KernelFlows;
  beforeEach(() => {
    fx.ns = createNetns(tag);
    fx.poll = new PollSource({ netns: parseNetnsSelector(fx.ns) });
    fx.clock = 0;
    fx.table = new FlowTable({ now: () => fx.clock, closeGraceMs: 1000 });
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    fx.poll?.close();
    if (fx.ns) deleteNetns(fx.ns);
  });
  return fx;
}
