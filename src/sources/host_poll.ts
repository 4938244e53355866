// --poll-via host: one cycle as a single iter/task_file pass over every
// process's files, from the host, which reaches every TCP socket a process
// holds whatever its namespace (its cost grows with the host's sockets, not
// with namespaces x sockets as per-namespace dumps and walks do), then, every
// sweepEvery cycles, an iter/tcp walk of the sockets no process holds
// (TIME_WAIT, SYN_RECV requests, orphans, accept queues) in the namespaces
// that can have them: those where the host pass found sockets since the last
// sweep, and those where the last sweep found some. A namespace without TCP
// sockets is never walked. Only a cycle with a sweep reports every socket
// (complete); the others leave the un-owned ones out.
import type { NativeIterPoll } from '../native/iter_addon';
import type { PollBatch } from '../layout/batch';
import type { NetnsTracker, Closable } from '../netns/tracker';
import { fillNamespace, type BatchConsumer, type CycleResult, type NetnsCycle } from './poll';

/** Which namespaces the next sweep walks, and when it is due. */
export class HostSweep {
  private cycles = 0;
  /** namespaces with sockets a process holds, seen since the last sweep */
  private readonly owned = new Set<number>();
  /** namespaces where the last sweep found sockets no process holds */
  private unowned = new Set<number>();
  /** cumulative: host-pass rows of namespaces not watched (--netns), sweeps, namespaces walked */
  readonly counters = { outsideRows: 0, sweeps: 0, sweptNamespaces: 0, unownedRows: 0 };

  /** every: a sweep every `every` cycles (1: each cycle; 0: never) */
  constructor(readonly every: number) {}

  /** Counts a cycle; true when it ends with a sweep (the first cycle does). */
  tick(): boolean {
    const due = this.every > 0 && this.cycles % this.every === 0;
    this.cycles++;
    return due;
  }

  sawOwned(inode: number): void {
    this.owned.add(inode);
  }

  /** The namespaces to walk now; forgets the owned ones (seen again by the next host passes). */
  targets(): Set<number> {
    const t = new Set([...this.owned, ...this.unowned]);
    this.owned.clear();
    this.unowned = new Set();
    return t;
  }

  sawUnowned(inode: number, rows: number): void {
    if (rows > 0) this.unowned.add(inode);
    this.counters.unownedRows += rows;
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
  const swept = sweep.tick();
  const result: CycleResult = {
    startedMs,
    durationMs: 0,
    sockets: 0,
    batches: 0,
    namespaces: [],
    added,
    removed,
    unreadable,
    complete: swept,
  };
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
    result.durationMs = Number(process.hrtime.bigint() - t0) / 1e6;
    return result;
  }
  for (;;) {
    const r = await native.fill(batch.buffer, batch.capacity);
    if (r.names.length) names.push(...r.names);
    if (r.rows > 0) {
      const ino = Number(netns[0]);
      const nc = byInode.get(ino);
      sweep.sawOwned(ino);
      if (!nc) {
        sweep.counters.outsideRows += r.rows;
      } else {
        batch.rows = r.rows;
        nc.sockets += r.rows;
        result.batches++;
        await consume(batch, { ns: nc.ns, names });
      }
    }
    if (r.errno) {
      result.complete = false;
      for (const nc of result.namespaces) Object.assign(nc, { errno: r.errno, code: r.code ?? 'EUNKNOWN' });
    }
    if (r.done) break;
  }
  if (swept) {
    sweep.counters.sweeps++;
    for (const ino of sweep.targets()) {
      const nc = byInode.get(ino);
      if (!nc) continue;
      sweep.counters.sweptNamespaces++;
      const before = nc.sockets;
      try {
        native.begin(nc.ns.path, true, true);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        Object.assign(nc, { errno: err.errno ?? 0, code: err.code ?? 'EUNKNOWN' });
        continue;
      }
      await fillNamespace((buf, cap) => native.fill(buf, cap), batch, names, { ns: nc.ns, names }, nc, consume, result);
      sweep.sawUnowned(ino, nc.sockets - before);
    }
  }
  for (const nc of result.namespaces) result.sockets += nc.sockets;
  result.durationMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return result;
}
