// The poll view: every cycle, one inet_diag dump per watched namespace,
// parsed natively into column batches that are handed to a consumer.
import { addon, type DiagSocket, type DumpStats } from '../native/addon';
import { PollBatch } from '../layout/batch';
import { resolveNetns, type NetnsSelector } from '../netns/select';
import type { NetnsInfo } from '../netns/discover';
import { ALL_STATES } from '../format/tcp_states';

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
}

/** One namespace's share of a cycle. */
export interface NetnsCycle {
  ns: NetnsInfo;
  sockets: number;
  /** 0, or the errno that cut the dump short or kept us out of the namespace */
  errno: number;
  code?: string;
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
}

/** A batch and what is needed to read it: the namespace and its cong names. */
export interface BatchContext {
  ns: NetnsInfo;
  /** congestion-control names of this namespace's socket; id = index + 1 */
  names: readonly string[];
}

export type BatchConsumer = (batch: PollBatch, ctx: BatchContext) => void | Promise<void>;

interface Watched {
  ns: NetnsInfo;
  sock: DiagSocket | null;
  names: string[];
  /** why the namespace could not be entered, remembered so it is said once */
  openError?: { errno: number; code: string; message: string };
}

export class PollSource {
  private readonly watched = new Map<number, Watched>();
  private readonly batch: PollBatch;
  private readonly states: number;
  private readonly families: number;
  private first = true;
  /** namespaces we could not enter, per cycle: for callers that log */
  onOpenError?: (ns: NetnsInfo, err: { code: string; message: string }) => void;

  constructor(private readonly opts: PollOptions) {
    this.batch = new PollBatch(opts.batchRows ?? 4096);
    this.states = opts.states ?? ALL_STATES;
    this.families = opts.families ?? 3;
  }

  /** Namespaces watched now, with their cumulative netlink counters. */
  stats(): Array<{ ns: NetnsInfo; stats: DumpStats | null; openError?: string }> {
    return [...this.watched.values()].map((w) => ({
      ns: w.ns,
      stats: w.sock && !w.sock.closed ? w.sock.stats() : null,
      ...(w.openError ? { openError: w.openError.code } : {}),
    }));
  }

  private refresh(): { added: number; removed: number; unreadable: number } {
    const found = resolveNetns(this.opts.netns, this.first);
    this.first = false;
    const now = new Set(found.namespaces.map((n) => n.inode));
    let added = 0, removed = 0;
    for (const [ino, w] of this.watched) {
      if (!now.has(ino)) {
        w.sock?.close();
        this.watched.delete(ino);
        removed++;
      }
    }
    for (const ns of found.namespaces) {
      if (this.watched.has(ns.inode)) continue;
      const w: Watched = { ns, sock: null, names: [] };
      try {
        w.sock = new (addon().DiagSocket)(ns.path);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        w.openError = { errno: err.errno ?? 0, code: err.code ?? 'EUNKNOWN', message: err.message };
        this.onOpenError?.(ns, w.openError);
      }
      this.watched.set(ns.inode, w);
      added++;
    }
    return { added, removed, unreadable: found.unreadable };
  }

  /** One poll cycle over every watched namespace. The batch passed to
   * `consume` is reused: read it before the returned promise moves on. */
  async cycle(consume: BatchConsumer): Promise<CycleResult> {
    const startedMs = Date.now();
    const t0 = process.hrtime.bigint();
    const { added, removed, unreadable } = this.refresh();
    const result: CycleResult = { startedMs, durationMs: 0, sockets: 0, batches: 0, namespaces: [], added, removed, unreadable };
    for (const w of this.watched.values()) {
      const nc: NetnsCycle = { ns: w.ns, sockets: 0, errno: 0 };
      result.namespaces.push(nc);
      if (!w.sock) {
        nc.errno = w.openError?.errno ?? 0;
        nc.code = w.openError?.code ?? 'EUNKNOWN';
        continue;
      }
      await this.dumpOne(w, nc, consume, result);
      result.sockets += nc.sockets;
    }
    result.durationMs = Number(process.hrtime.bigint() - t0) / 1e6;
    return result;
  }

  private async dumpOne(w: Watched, nc: NetnsCycle, consume: BatchConsumer, result: CycleResult): Promise<void> {
    const sock = w.sock!;
    try {
      sock.begin({ families: this.families, states: this.states, ext: ALL_EXT });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      nc.errno = err.errno ?? 0;
      nc.code = err.code ?? 'EUNKNOWN';
      return;
    }
    for (;;) {
      const r = await sock.fill(this.batch.buffer, this.batch.capacity);
      if (r.names.length) w.names.push(...r.names);
      if (r.rows > 0) {
        this.batch.rows = r.rows;
        nc.sockets += r.rows;
        result.batches++;
        await consume(this.batch, { ns: w.ns, names: w.names });
      }
      if (r.errno) { nc.errno = r.errno; nc.code = r.code ?? 'EUNKNOWN'; }
      if (r.done) return;
    }
  }

  /** Closes every namespace socket. Idempotent. */
  close(): void {
    for (const w of this.watched.values()) w.sock?.close();
    this.watched.clear();
  }
}
