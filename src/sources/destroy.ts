// The destroy view: the kernel's final inet_diag record of every TCP socket
// it destroys, per namespace, from the sock_diag destroy multicast groups.
// Needs no eBPF: it is the close source when eBPF is unavailable.
import { addon, type DestroySocket, type DestroyStats } from '../native/addon';
import { PollBatch } from '../layout/batch';
import type { NetnsSelector } from '../netns/select';
import type { NetnsInfo } from '../netns/discover';
import { NetnsTracker, NsSocket, type OpenError, type RefreshResult } from '../netns/tracker';
import type { BatchConsumer } from './poll';

/** Receive queue per namespace (SO_RCVBUFFORCE with CAP_NET_ADMIN; the kernel
 * doubles it): a destroy message takes ~1.27 KB of it (bench/burst: 32 MiB
 * held ~53k and dropped the rest of 120k), so 160 MiB holds ~260k closes,
 * the whole of bench/burst's 60k connections (120k sockets) and twice over:
 * the JS thread may not read the socket for seconds while a burst lasts.
 * Kernel memory, not the process's, and used only while messages wait. */
export const DESTROY_RCVBUF = 160 << 20;

export interface DestroyOptions {
  netns: NetnsSelector;
  /** rows per batch */
  batchRows?: number;
  /** receive queue per namespace, bytes: what a burst of closes may fill before loss */
  rcvbuf?: number;
}

export interface DrainSummary {
  rows: number;
  batches: number;
  /** namespaces whose socket failed (not overruns: those are in stats().enobufs) */
  errors: number;
}

export class DestroySource {
  private readonly tracker: NetnsTracker<NsSocket<DestroySocket>>;
  private readonly batch: PollBatch;

  constructor(opts: DestroyOptions) {
    const rcvbuf = opts.rcvbuf ?? DESTROY_RCVBUF;
    this.tracker = new NetnsTracker(opts.netns, (ns) => new NsSocket(new (addon().DestroySocket)(ns.path, rcvbuf)));
    this.batch = new PollBatch(opts.batchRows ?? 512);
  }

  set onOpenError(fn: ((ns: NetnsInfo, err: OpenError) => void) | undefined) {
    this.tracker.onOpenError = fn;
  }

  /** Follows namespaces as they come and go; call it every poll cycle. */
  refresh(): RefreshResult {
    return this.tracker.refresh();
  }

  /** Hands every queued destroy record to `consume`, batch by batch. */
  async drain(consume: BatchConsumer): Promise<DrainSummary> {
    const sum: DrainSummary = { rows: 0, batches: 0, errors: 0 };
    for (const t of this.tracker.all()) {
      if (!t.handle) continue;
      const { sock, names } = t.handle;
      for (;;) {
        const r = sock.drain(this.batch.buffer, this.batch.capacity);
        if (r.names.length) names.push(...r.names);
        if (r.rows > 0) {
          this.batch.rows = r.rows;
          sum.rows += r.rows;
          sum.batches++;
          await consume(this.batch, { ns: t.ns, names });
        }
        if (r.errno) sum.errors++;
        if (!r.more || r.errno) break;
      }
    }
    return sum;
  }

  /** Calls `wake` once, when a destroy message waits in any namespace
   * (one-shot: arm it again after a drain). False when a socket cannot be
   * watched. */
  watch(wake: () => void): boolean {
    let once = false;
    const fire = (): void => {
      if (once) return;
      once = true;
      wake();
    };
    let ok = true;
    for (const t of this.tracker.all()) if (t.handle && !t.handle.sock.closed) ok = t.handle.sock.watch(fire) && ok;
    return ok;
  }

  stats(): Array<{ ns: NetnsInfo; stats: DestroyStats | null; rcvbuf: number; openError?: string }> {
    return [...this.tracker.all()].map((t) => ({
      ns: t.ns,
      stats: t.handle && !t.handle.sock.closed ? t.handle.sock.stats() : null,
      rcvbuf: t.handle?.sock.rcvbuf ?? 0,
      ...(t.openError ? { openError: t.openError.code } : {}),
    }));
  }

  close(): void {
    this.tracker.close();
  }
}
