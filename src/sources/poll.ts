// The poll view: every cycle, one inet_diag dump per watched namespace,
// parsed natively into column batches that are handed to a consumer.
import { addon, type DiagSocket, type DumpStats, type FillResult } from '../native/addon';
import { PollBatch } from '../layout/batch';
import type { NetnsSelector } from '../netns/select';
import type { NetnsInfo } from '../netns/discover';
import { NetnsTracker, NsSocket, type OpenError } from '../netns/tracker';
import { ALL_STATES } from '../format/tcp_states';
import type { DumpReason, ExactPoll } from './poll_lookup';

/** INET_DIAG_{MEMINFO,INFO,VEGASINFO(+BBR),CONG,TOS,TCLASS,SKMEMINFO,SHUTDOWN} */
export const ALL_EXT = 0xff;

export interface PollOptions {
  netns: NetnsSelector;
  /** TCPF_* bitmask; default every state */
  states?: number;
  /** bit 0: IPv4, bit 1: IPv6 */
  families?: number;
  /** rows per batch */
  batchRows?: number;
  /** --filter compiled (src/filter/): the kernel skips what it does not select */
  bytecode?: Uint8Array;
}

/** One namespace's share of a cycle. */
export interface NetnsCycle {
  ns: NetnsInfo;
  sockets: number;
  /** 0, or the errno that cut the dump short or kept us out of the namespace */
  errno: number;
  code?: string;
  /** every live socket of this namespace was reported (absent: as the cycle's `complete`;
   * --poll-via host: false where its un-owned sockets were not swept this cycle) */
  complete?: boolean;
  /** inet_diag with exact-match requests on: 'lookup' when the known sockets
   * were asked for one by one, else why this cycle was a dump */
  lookup?: 'lookup' | DumpReason;
}

export interface CycleResult {
  /** wall clock at the start, ms since the epoch */
  startedMs: number;
  durationMs: number;
  sockets: number;
  batches: number;
  namespaces: NetnsCycle[];
  /** namespaces found or lost since the previous cycle */
  added: number;
  removed: number;
  unreadable: number;
  /** every live socket was reported, so a flow missing from it is gone
   * (absent: true; an iterator pass that skipped unchanged sockets: false) */
  complete?: boolean;
}

/** A batch and what is needed to read it: the namespace and its cong names. */
export interface BatchContext {
  ns: NetnsInfo;
  /** congestion-control names of this namespace's socket; id = index + 1 */
  names: readonly string[];
}

export type BatchConsumer = (batch: PollBatch, ctx: BatchContext) => void | Promise<void>;

/** One cycle's own settings, where they differ from the source's. */
export interface CycleOptions {
  /** TCPF_* mask of this cycle's dumps (default: the source's) */
  states?: number;
  /** look for namespaces found or lost (default true; false: the ones tracked now) */
  refresh?: boolean;
  /** poll namespaces whose sockets are known by exact-match requests (src/sources/poll_lookup.ts) */
  exact?: ExactPoll;
}

/** Reads one namespace's pass (a dump or an iterator) to its end into
 * `batch`, batch by batch: counts into nc and result, learns the names. */
export async function fillNamespace(
  fill: (buffer: ArrayBuffer, capacity: number) => Promise<FillResult>,
  batch: PollBatch,
  names: string[],
  ctx: BatchContext,
  nc: NetnsCycle,
  consume: BatchConsumer,
  result: CycleResult,
): Promise<void> {
  for (;;) {
    const r = await fill(batch.buffer, batch.capacity);
    if (r.names.length) names.push(...r.names);
    if (r.rows > 0) {
      batch.rows = r.rows;
      nc.sockets += r.rows;
      result.batches++;
      await consume(batch, ctx);
    }
    if (r.errno) {
      nc.errno = r.errno;
      nc.code = r.code ?? 'EUNKNOWN';
    }
    if (r.done) return;
  }
}

export class PollSource {
  private readonly tracker: NetnsTracker<NsSocket<DiagSocket>>;
  private readonly batch: PollBatch;
  private readonly states: number;
  private readonly families: number;
  private readonly bytecode: Uint8Array | undefined;

  constructor(opts: PollOptions) {
    this.tracker = new NetnsTracker(opts.netns, (ns) => new NsSocket(new (addon().DiagSocket)(ns.path)));
    this.batch = new PollBatch(opts.batchRows ?? 512);
    this.states = opts.states ?? ALL_STATES;
    this.families = opts.families ?? 3;
    this.bytecode = opts.bytecode;
  }

  /** Called once for each namespace that cannot be entered. */
  set onOpenError(fn: ((ns: NetnsInfo, err: OpenError) => void) | undefined) {
    this.tracker.onOpenError = fn;
  }

  /** Namespaces watched now, with their cumulative netlink counters. */
  stats(exact?: ExactPoll): Array<{ ns: NetnsInfo; stats: DumpStats | null; openError?: string }> {
    return [...this.tracker.all()].map((t) => ({
      ns: t.ns,
      stats: t.handle && !t.handle.sock.closed ? withLookups(t.handle.sock.stats(), exact?.stats(t.ns.inode) ?? null) : null,
      ...(t.openError ? { openError: t.openError.code } : {}),
    }));
  }

  /** One poll cycle over every watched namespace. The batch passed to
   * `consume` is reused: read it before the returned promise moves on. */
  async cycle(consume: BatchConsumer, opts: CycleOptions = {}): Promise<CycleResult> {
    const startedMs = Date.now();
    const t0 = process.hrtime.bigint();
    const { added, removed, unreadable } = opts.refresh === false ? { added: 0, removed: 0, unreadable: 0 } : this.tracker.refresh();
    const states = opts.states ?? this.states;
    const result: CycleResult = { startedMs, durationMs: 0, sockets: 0, batches: 0, namespaces: [], added, removed, unreadable };
    for (const t of this.tracker.all()) {
      const nc: NetnsCycle = { ns: t.ns, sockets: 0, errno: 0 };
      result.namespaces.push(nc);
      if (!t.handle) {
        nc.errno = t.openError?.errno ?? 0;
        nc.code = t.openError?.code ?? 'EUNKNOWN';
        continue;
      }
      if (opts.exact && !this.bytecode) await this.exactOne(opts.exact, t.ns, t.handle, nc, consume, result, states);
      else await this.dumpOne(t.ns, t.handle, nc, consume, result, states);
      result.sockets += nc.sockets;
    }
    opts.exact?.keepOnly(new Set(result.namespaces.map((n) => n.ns.inode)));
    result.durationMs = Number(process.hrtime.bigint() - t0) / 1e6;
    return result;
  }

  /** A namespace whose sockets are known: a lookup of each; else a dump that learns them. */
  private async exactOne(
    exact: ExactPoll,
    ns: NetnsInfo,
    h: NsSocket<DiagSocket>,
    nc: NetnsCycle,
    consume: BatchConsumer,
    result: CycleResult,
    states: number,
  ): Promise<void> {
    const why = exact.dumpReason(ns.inode);
    if (why === null) {
      nc.lookup = 'lookup';
      const r = await exact.poll(ns, states, this.batch, (b, names) => consume(b, { ns, names }));
      nc.sockets = r.rows;
      result.batches += r.batches;
      if (!r.errno) return;
      nc.errno = r.errno;
      nc.code = r.code ?? 'EUNKNOWN';
      return;
    }
    nc.lookup = why;
    if (!exact.vouches(ns.inode)) {
      exact.unlearned(ns.inode);
      return this.dumpOne(ns, h, nc, consume, result, states);
    }
    exact.beginDump(ns.inode);
    const learn: BatchConsumer = (b, ctx) => {
      exact.learn(ns.inode, b);
      return consume(b, ctx);
    };
    const t0 = performance.now();
    await this.dumpOne(ns, h, nc, learn, result, states);
    exact.endDump(ns.inode, nc.errno === 0, performance.now() - t0);
  }

  private async dumpOne(
    ns: NetnsInfo,
    h: NsSocket<DiagSocket>,
    nc: NetnsCycle,
    consume: BatchConsumer,
    result: CycleResult,
    states: number,
  ): Promise<void> {
    const { sock, names } = h;
    try {
      sock.begin({ families: this.families, states, ext: ALL_EXT, ...(this.bytecode ? { bytecode: this.bytecode } : {}) });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      nc.errno = err.errno ?? 0;
      nc.code = err.code ?? 'EUNKNOWN';
      return;
    }
    await fillNamespace((buf, cap) => sock.fill(buf, cap), this.batch, names, { ns, names }, nc, consume, result);
  }

  /** Closes every namespace socket. Idempotent. */
  close(): void {
    this.tracker.close();
  }
}

/** a namespace's dump socket's netlink counters plus its lookup socket's */
function withLookups(d: DumpStats, l: DumpStats | null): DumpStats {
  if (!l) return d;
  const out = { ...d } as Record<string, unknown>;
  for (const [k, v] of Object.entries(l)) if (typeof v === 'number' && typeof out[k] === 'number') out[k] = (out[k] as number) + v;
  return out as unknown as DumpStats;
}
