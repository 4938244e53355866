// The targeted view's source: exact-match inet_diag requests for the one
// socket each target names (a lookup in the kernel's hash tables, no walk),
// per network namespace, on the libuv pool. Answers arrive as poll-layout
// column batches, one batch per namespace and trigger.
import { PollBatch } from '../layout/batch';
import { compactRows } from '../layout/compact';
import type { NetnsSelector } from '../netns/select';
import type { NetnsInfo } from '../netns/discover';
import { NetnsTracker, type OpenError } from '../netns/tracker';
import { TCP_STATES } from '../format/tcp_states';
import { diagLookupClass, putLookupReq, LOOKUP_REQ_BYTES, type DiagLookup } from '../native/lookup_addon';
import type { DumpStats } from '../native/addon';
import type { Target } from '../run/target_queue';
import type { TriggerKind } from '../run/snapshot_on';
import { ALL_EXT } from './poll';

const ENOENT = 2,
  ESTALE = 116;
const TIME_WAIT = TCP_STATES.indexOf('TIME_WAIT'),
  CLOSE = TCP_STATES.indexOf('CLOSE'),
  LISTEN = TCP_STATES.indexOf('LISTEN');

export interface TargetedBatchContext {
  ns: NetnsInfo;
  names: readonly string[];
  trigger: TriggerKind;
}

export type TargetedConsumer = (batch: PollBatch, ctx: TargetedBatchContext) => void | Promise<void>;

/** What became of one round of requests. */
export interface LookupRound {
  requested: number;
  /** a live socket's snapshot, handed on */
  answered: number;
  /** no such socket any more (ENOENT, ESTALE: another socket holds the tuple; or only its TIME_WAIT, or a listener, answered) */
  gone: number;
  /** the request failed (socket error) */
  failed: number;
  /** targets in namespaces not watched or not enterable: never asked */
  noNetns: number;
}

class NsLookup {
  readonly names: string[] = [];
  constructor(readonly sock: DiagLookup) {}
  close(): void {
    this.sock.close();
  }
}

export class TargetedSource {
  private readonly tracker: NetnsTracker<NsLookup>;
  private readonly batch: PollBatch;
  private readonly reqs: ArrayBuffer;
  private refreshedAt = -Infinity;

  constructor(
    netns: NetnsSelector,
    batchRows = 256,
    /** namespaces are looked for again at most this often when a target names an unknown one */
    private readonly refreshEveryMs = 1000,
  ) {
    this.tracker = new NetnsTracker(netns, (ns) => new NsLookup(new (diagLookupClass())(ns.path)));
    this.batch = new PollBatch(batchRows);
    this.reqs = new ArrayBuffer(batchRows * LOOKUP_REQ_BYTES);
  }

  set onOpenError(fn: ((ns: NetnsInfo, err: OpenError) => void) | undefined) {
    this.tracker.onOpenError = fn;
  }

  /** Namespaces now watched, with their netlink counters. */
  stats(): Array<{ ns: NetnsInfo; stats: DumpStats | null }> {
    return [...this.tracker.all()].map((t) => ({ ns: t.ns, stats: t.handle && !t.handle.sock.closed ? t.handle.sock.stats() : null }));
  }

  private find(inode: number): { ns: NetnsInfo; h: NsLookup | null } | undefined {
    for (const t of this.tracker.all()) if (t.ns.inode === inode) return { ns: t.ns, h: t.handle };
    return undefined;
  }

  /** Asks for every target; snapshots go to `consume` (the batch is reused). */
  async lookup(targets: readonly Target[], consume: TargetedConsumer): Promise<LookupRound> {
    const round: LookupRound = { requested: 0, answered: 0, gone: 0, failed: 0, noNetns: 0 };
    if (!targets.length) return round;
    const groups = new Map<string, Target[]>();
    for (const t of targets) {
      const k = `${t.ns}/${t.trigger}`;
      const g = groups.get(k);
      if (g) g.push(t);
      else groups.set(k, [t]);
    }
    const now = performance.now();
    const unknown = [...groups.values()].some((g) => !this.find(g[0]!.ns));
    if ((this.tracker.size === 0 || unknown) && now - this.refreshedAt >= this.refreshEveryMs) {
      this.refreshedAt = now;
      this.tracker.refresh();
    }
    for (const g of groups.values()) {
      const first = g[0]!;
      const where = this.find(first.ns);
      if (!where?.h) {
        round.noNetns += g.length;
        continue;
      }
      for (let i = 0; i < g.length; i += this.batch.capacity) {
        await this.ask(where.ns, where.h, g.slice(i, i + this.batch.capacity), first.trigger, round, consume);
      }
    }
    return round;
  }

  private async ask(
    ns: NetnsInfo,
    h: NsLookup,
    ts: Target[],
    trigger: TriggerKind,
    round: LookupRound,
    consume: TargetedConsumer,
  ): Promise<void> {
    const dv = new DataView(this.reqs);
    ts.forEach((t, i) => putLookupReq(dv, i, t));
    round.requested += ts.length;
    const r = await h.sock.lookup(this.reqs, ts.length, this.batch.buffer, this.batch.capacity, ALL_EXT);
    if (r.names.length) h.names.push(...r.names);
    const state = this.batch.u8('idiag_state'),
      cookie = this.batch.u64('idiag_cookie');
    const keep = new Uint8Array(r.rows);
    r.status.forEach((s, i) => {
      if (s < 0) {
        if (s === -ENOENT || s === -ESTALE) round.gone++;
        else round.failed++;
        return;
      }
      const st = state[s]!;
      const t = ts[i]!;
      // TIME_WAIT or CLOSE: its tcp_info went with it; LISTEN: the kernel's
      // lookup fell back to the listener of a tuple nobody holds any more
      if (st === TIME_WAIT || st === CLOSE || st === LISTEN || (t.cookie !== 0n && cookie[s] !== t.cookie)) round.gone++;
      else {
        keep[s] = 1;
        round.answered++;
      }
    });
    this.batch.rows = r.rows;
    compactRows(this.batch, keep);
    if (this.batch.rows > 0) await consume(this.batch, { ns, names: h.names, trigger });
  }

  /** Closes every namespace socket. Idempotent. */
  close(): void {
    this.tracker.close();
  }
}
