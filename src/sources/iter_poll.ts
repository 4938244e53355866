// The iterator poll (--poll-via iter): per watched namespace, one pass of an
// eBPF iter/tcp program created inside it, reading tcp_sock directly into
// the same column batches as the inet_diag poll (the columns it cannot fill
// stay zero: notProvided()). With change detection (each socket's
// last-activity stamp, tcp_mstamp, against the namespace's previous pass) a
// pass that is not full emits only the sockets active since; a full pass
// emits every socket.
import { iterAddon, type IterPollStats, type NativeIterPoll } from '../native/iter_addon';
import type { ViewPart } from '../native/addon';
import { PollBatch } from '../layout/batch';
import { POLL_COLUMNS } from '../layout/poll_columns';
import type { NetnsSelector } from '../netns/select';
import { NetnsTracker, type OpenError } from '../netns/tracker';
import type { NetnsInfo } from '../netns/discover';
import { bpfAvailability, loadParts, type Availability } from './parts';
import { fillNamespace, type BatchConsumer, type CycleResult, type NetnsCycle } from './poll';
import { TcplensError } from '../util/errors';
import { hostCycle, HostSweep } from './host_poll';

export interface IterPollOptions {
  netns: NetnsSelector;
  /** rows per batch */
  batchRows?: number;
  /** keep the kernel's BPF run-time statistics on while open (benchmarks) */
  runStats?: boolean;
  /** --poll-via host: one iter/task_file pass over every process's sockets, any
   * namespace, then iter/tcp walks for the sockets no process holds (hostPoll) */
  host?: { sweepEvery: number };
}

/** Why this process cannot run the iterator poll, before trying to load it. */
export const iterAvailability = (): Availability =>
  bpfAvailability(() => iterAddon().iterUnbuilt(), 'the iterator poll loads an eBPF iter/tcp program');

/** Poll columns this view leaves zero, even for a full socket. */
export function notProvided(): string[] {
  const have = new Set(iterAddon().iterProvides());
  return POLL_COLUMNS.map((c) => c.name).filter((n) => !have.has(n));
}

const noHandle = { close(): void {} };

export class IterPollSource {
  private native: NativeIterPoll | null = null;
  private parts_: ViewPart[] = [];
  private readonly tracker: NetnsTracker<typeof noHandle>;
  private readonly batch: PollBatch;
  /** congestion-control names of every namespace (one dictionary); id = index + 1 */
  private readonly names: string[] = [];
  private readonly sweep: HostSweep | null;

  constructor(private readonly opts: IterPollOptions) {
    this.tracker = new NetnsTracker(opts.netns, () => noHandle);
    this.batch = new PollBatch(opts.batchRows ?? 512);
    this.sweep = opts.host ? new HostSweep(opts.host.sweepEvery) : null;
  }

  /** Loads the iter/tcp program in the first variant the kernel accepts;
   * throws TcplensError('EPOLL') with the kernel's reasons when none loads. */
  start(): void {
    if (this.native) return;
    const runStats = this.opts.runStats ?? false;
    this.native = loadParts(
      'iter',
      iterAvailability(),
      'EPOLL',
      () => new (iterAddon().IterPoll)({ runStats }),
      (p) => (this.parts_ = p),
      (e) => `eBPF ${e.message} [${e.code ?? 'EUNKNOWN'}]`,
    );
    // a mode needs its parts: iter the iter/tcp walk, host both (the walk finds the sockets no process holds)
    const need = this.sweep ? ['sockets', 'host'] : ['sockets'];
    const off = this.parts_.filter((p) => need.includes(p.part) && !p.up);
    if (off.length) {
      this.close();
      throw new TcplensError('EPOLL', `the ${off.map((p) => p.part).join(' and ')} part is off: ${off.map((p) => p.why).join('; ')}`);
    }
  }

  /** --poll-via host (a host pass, then walks for sockets no process holds). */
  get host(): boolean {
    return this.sweep !== null;
  }

  parts(): ViewPart[] {
    return this.parts_;
  }

  /** A pass that is not full skips unchanged sockets (else every pass is full). */
  get detectsChanges(): boolean {
    return this.native?.detectsChanges ?? false;
  }

  set onOpenError(fn: ((ns: NetnsInfo, err: OpenError) => void) | undefined) {
    this.tracker.onOpenError = fn;
  }

  /** One pass over every watched namespace: every socket when `full` (or
   * without change detection), else those that moved. `complete` says
   * whether a flow missing from it is gone. The batch is reused. */
  async cycle(consume: BatchConsumer, full = true): Promise<CycleResult> {
    const native = this.native;
    if (!native) throw new Error('iterator poll not started');
    if (this.sweep) return hostCycle(native, this.tracker, this.batch, this.names, this.sweep, consume);
    const startedMs = Date.now();
    const t0 = process.hrtime.bigint();
    const { added, removed, unreadable } = this.tracker.refresh();
    const complete = full || !native.detectsChanges;
    const result: CycleResult = { startedMs, durationMs: 0, sockets: 0, batches: 0, namespaces: [], added, removed, unreadable, complete };
    for (const t of this.tracker.all()) {
      const nc: NetnsCycle = { ns: t.ns, sockets: 0, errno: 0 };
      result.namespaces.push(nc);
      try {
        native.begin(t.ns.path, full);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        nc.errno = err.errno ?? 0;
        nc.code = err.code ?? 'EUNKNOWN';
        continue;
      }
      await fillNamespace(
        (buf, cap) => native.fill(buf, cap),
        this.batch,
        this.names,
        { ns: t.ns, names: this.names },
        nc,
        consume,
        result,
      );
      result.sockets += nc.sockets;
    }
    result.durationMs = Number(process.hrtime.bigint() - t0) / 1e6;
    return result;
  }

  /** Cumulative counters (zeros before start). */
  iterStats(): IterPollStats | null {
    return this.native ? this.native.stats() : null;
  }

  /** Namespaces watched now; no netlink counters (this view reads no netlink). */
  stats(): Array<{ ns: NetnsInfo; stats: null }> {
    return [...this.tracker.all()].map((t) => ({ ns: t.ns, stats: null }));
  }

  /** Releases the program and link. Idempotent. */
  close(): void {
    this.tracker.close();
    this.native?.close();
  }
}
