// Feeding a FlowTable from real sources in tests, the way `run` does.
import type { FlowTable } from '../../src/correlate/flow_table';
import type { PollSource } from '../../src/sources/poll';

/** One complete poll cycle of a one-namespace source into the table. */
export async function pollInto(poll: PollSource, table: FlowTable): Promise<void> {
  const r = await poll.cycle((b, ctx) => table.observePoll(b, BigInt(ctx.ns.inode)));
  const inode = BigInt(r.namespaces[0]!.ns.inode);
  table.endCycle(inode);
  table.beginCycle(inode);
}
