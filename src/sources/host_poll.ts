// --poll-via host: one cycle as a single iter/task_file pass over every
// process's files, from the host, which reaches every TCP socket a process
// holds whatever its namespace (its cost grows with the host's sockets, not
// with namespaces x sockets as per-namespace dumps and walks do), then an
// iter/tcp walk of the sockets no process holds (TIME_WAIT, SYN_RECV
// requests, orphans, accept queues) in the namespaces whose turn it is (each
// every sweepEvery cycles, spread over the cycles) among those that can have
// them: where the host pass found sockets since their last sweep, or that
// sweep found some. A namespace without TCP sockets is never walked. A
// namespace's share of a cycle is complete (every socket reported) when it
// was swept, or has nothing to sweep; otherwise its un-owned sockets are left out.
import type { NativeIterPoll } from '../native/iter_addon';
import type { PollBatch } from '../layout/batch';
import type { NetnsTracker, Closable } from '../netns/tracker';
import { fillNamespace, type BatchConsumer, type CycleResult, type NetnsCycle } from './poll';

/** Which namespaces a cycle sweeps. Each namespace has a slot (its inode
 * modulo `every`) and is swept on the cycles of its slot when it may hold
 * sockets no process holds: the host pass found sockets in it since its
 * last sweep, or that sweep found un-owned ones. So each cycle walks about
 * 1/every of those namespaces, not all of them every `every` cycles. */
export class HostSweep {
  private cycle = 0;
  /** namespaces that may hold un-owned sockets (to sweep at their slot) */
  private readonly pending = new Set<number>();
  /** cumulative: host-pass rows of namespaces not watched (--netns), namespaces walked, un-owned rows */
  readonly counters = { outsideRows: 0, sweptNamespaces: 0, unownedRows: 0 };

  /** every: each namespace swept every `every` cycles (1: each cycle; 0: never) */
  constructor(readonly every: number) {}

  /** Starts a cycle. */
  tick(): void {
    this.cycle++;
  }

  sawOwned(inode: number): void {
    if (this.every > 0) this.pending.add(inode);
  }

  /** Whether this cycle sweeps the namespace: it may hold un-owned sockets and this is its slot
   * (the first cycle sweeps them all, so it reports every socket). */
  due(inode: number): boolean {
    return this.pending.has(inode) && (this.cycle === 1 || (inode + this.cycle) % this.every === 0);
  }

  /** Whether this cycle reports every socket of the namespace: nothing to sweep there, or swept now. */
  complete(inode: number): boolean {
    return this.every > 0 && (!this.pending.has(inode) || this.due(inode));
  }

  swept(inode: number, rows: number): void {
    this.counters.sweptNamespaces++;
    this.counters.unownedRows += rows;
    if (rows === 0) this.pending.delete(inode);
  }
}

/** One cycle of --poll-via host over the tracker's namespaces. */
export async function hostCycle(
  native: NativeIterPoll,
  tracker: NetnsTracker<Closable>,
  batch: PollBatch,
  names: string[],
  sweep: HostSweep,
  consume: BatchConsumer,
): Promise<CycleResult> {
  const startedMs = Date.now();
  const t0 = process.hrtime.bigint();
  const { added, removed, unreadable } = tracker.refresh();
  sweep.tick();
  const result: CycleResult = { startedMs, durationMs: 0, sockets: 0, batches: 0, namespaces: [], added, removed, unreadable };
  const byInode = new Map<number, NetnsCycle>();
  for (const t of tracker.all()) {
    const nc: NetnsCycle = { ns: t.ns, sockets: 0, errno: 0 };
    byInode.set(t.ns.inode, nc);
    result.namespaces.push(nc);
  }
  const netns = batch.views['netns_inode']!;
  try {
    native.beginHost();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    for (const nc of result.namespaces) Object.assign(nc, { errno: err.errno ?? 0, code: err.code ?? 'EUNKNOWN' });
    result.complete = false;
    for (const nc of result.namespaces) nc.complete = false;
    result.durationMs = Number(process.hrtime.bigint() - t0) / 1e6;
    return result;
  }
  for (;;) {
    const r = await native.fill(batch.buffer, batch.capacity);
    if (r.names.length) names.push(...r.names);
    if (r.rows > 0) {
      const ino = Number(netns[0]);
      const nc = byInode.get(ino);
      if (!nc) {
        sweep.counters.outsideRows += r.rows;
      } else {
        sweep.sawOwned(ino);
        batch.rows = r.rows;
        nc.sockets += r.rows;
        result.batches++;
        await consume(batch, { ns: nc.ns, names });
      }
    }
    if (r.errno) {
      for (const nc of result.namespaces) Object.assign(nc, { errno: r.errno, code: r.code ?? 'EUNKNOWN' });
    }
    if (r.done) break;
  }
  // the sweep: un-owned sockets of the namespaces whose slot this is (the host pass has just
  // marked the namespaces it found sockets in)
  for (const nc of result.namespaces) {
    const ino = nc.ns.inode;
    nc.complete = nc.errno === 0 && sweep.complete(ino);
    if (!sweep.due(ino)) continue;
    const before = nc.sockets;
    try {
      native.begin(nc.ns.path, true, true);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      Object.assign(nc, { errno: err.errno ?? 0, code: err.code ?? 'EUNKNOWN', complete: false });
      continue;
    }
    await fillNamespace((buf, cap) => native.fill(buf, cap), batch, names, { ns: nc.ns, names }, nc, consume, result);
    sweep.swept(ino, nc.sockets - before);
  }
  result.complete = result.namespaces.every((nc) => nc.complete);
  for (const nc of result.namespaces) result.sockets += nc.sockets;
  result.durationMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return result;
}
