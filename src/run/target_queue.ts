// The targeted view's agenda: which sockets the events view says are worth
// a snapshot (--snapshot-on), when each is due, and how many the rate limit
// lets through. Plain logic over events batches; the asking is
// src/sources/targeted.ts. Every target that is not asked is counted: gone
// (its close arrived before it was due), coalesced (a retransmit joining a
// waiting one), or dropped (the rate limit, the queue bound).
import type { ColumnBatch } from '../layout/batch';
import { EV_KIND, EVF } from '../layout/event_columns';
import { TRIGGER_KINDS, type SnapshotTriggers, type TriggerKind } from './snapshot_on';

/** One socket to ask the kernel about: as the events view named it. */
export interface Target {
  ns: number;
  /** 0n: no cookie (tracepoint fallback): any socket with the 4-tuple */
  cookie: bigint;
  family: number;
  /** local and remote address, 16 bytes each, network order (copies) */
  src: Uint8Array;
  dst: Uint8Array;
  sport: number;
  dport: number;
  trigger: TriggerKind;
  /** wall ms of the event, and when the snapshot is due */
  eventMs: number;
  dueMs: number;
  cancelled: boolean;
}

export interface TargetQueueOptions {
  /** snapshots per second at most (token bucket, a second's worth of burst) */
  ratePerS: number;
  /** targets waiting at most; past it new ones are dropped */
  maxPending?: number;
  /** after a retransmit snapshot, the same flow's next burst waits this long */
  retransmitCooldownMs?: number;
}

export const DROP_REASONS = ['limit', 'queue', 'netns'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface TargetQueueCounts {
  /** targets accepted, per trigger */
  triggered: Record<TriggerKind, number>;
  /** retransmits that joined a waiting retransmit target */
  coalesced: number;
  /** targets whose flow closed (per the events) before they were due: never asked */
  closedFirst: number;
  dropped: Record<DropReason, number>;
  /** waiting now (gauge) */
  pending: number;
}

const KIND_TRIGGER: Partial<Record<number, TriggerKind>> = {
  [EV_KIND.ACTIVE_OPEN]: 'open',
  [EV_KIND.PASSIVE_OPEN]: 'open',
  [EV_KIND.RETRANSMIT]: 'retransmit',
  [EV_KIND.RESET_SENT]: 'reset',
  [EV_KIND.RESET_RECEIVED]: 'reset',
};

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** The wall clock in ms with sub-ms precision (the events' ts_ns clock). */
export const wallMs = (): number => performance.timeOrigin + performance.now();

export class TargetQueue {
  private readonly fifo = new Map<TriggerKind, Target[]>(TRIGGER_KINDS.map((k) => [k, []]));
  /** flow key + trigger -> its waiting target */
  private readonly waiting = new Map<string, Target>();
  /** flow key -> wall ms of its last retransmit snapshot */
  private readonly lastRetransmit = new Map<string, number>();
  private readonly maxPending: number;
  private readonly cooldownMs: number;
  private tokens: number;
  private tokensAt = wallMs();
  private readonly c: TargetQueueCounts = {
    triggered: { open: 0, retransmit: 0, reset: 0 },
    coalesced: 0,
    closedFirst: 0,
    dropped: { limit: 0, queue: 0, netns: 0 },
    pending: 0,
  };

  constructor(
    readonly triggers: SnapshotTriggers,
    private readonly opts: TargetQueueOptions,
  ) {
    this.maxPending = opts.maxPending ?? 10_000;
    this.cooldownMs = opts.retransmitCooldownMs ?? 1000;
    this.tokens = this.burst;
  }

  private get burst(): number {
    return Math.max(1, this.opts.ratePerS);
  }

  /** Reads an events batch: opens, retransmits and resets become targets; closes cancel theirs. */
  observe(b: ColumnBatch): void {
    const kind = b.u8('kind'),
      cookie = b.u64('idiag_cookie'),
      ns = b.u64('netns_inode'),
      ts = b.u64('ts_ns'),
      dport = b.u16('dport'),
      flags = b.u8('flags');
    for (let i = 0; i < b.rows; i++) {
      const k = kind[i]!;
      if (dport[i] === 0) continue; // a listener: not a flow
      if (k === EV_KIND.CLOSE) {
        if (this.waiting.size || this.lastRetransmit.size) this.closed(this.flowKey(b, i, cookie[i]!, ns[i]!, flags[i]!));
        continue;
      }
      const trigger = KIND_TRIGGER[k];
      if (!trigger) continue;
      const delay = this.triggers[trigger];
      if (delay === undefined) continue;
      const flow = this.flowKey(b, i, cookie[i]!, ns[i]!, flags[i]!);
      const key = `${flow}/${trigger}`;
      if (this.waiting.has(key)) {
        if (trigger === 'retransmit') this.c.coalesced++;
        continue; // an open reported by both tracepoint variants, or a burst
      }
      const eventMs = Number(ts[i]! / 1000n) / 1000;
      if (trigger === 'retransmit') {
        const last = this.lastRetransmit.get(flow);
        if (last !== undefined && eventMs - last < this.cooldownMs) {
          this.c.coalesced++;
          continue;
        }
      }
      if (this.waiting.size >= this.maxPending) {
        this.c.dropped.queue++;
        continue;
      }
      const t: Target = {
        ns: Number(ns[i]!),
        cookie: flags[i]! & EVF.NOCOOKIE ? 0n : cookie[i]!,
        family: b.u8('idiag_family')[i]!,
        src: b.b16('src', i).slice(),
        dst: b.b16('dst', i).slice(),
        sport: b.u16('sport')[i]!,
        dport: dport[i]!,
        trigger,
        eventMs,
        dueMs: eventMs + delay,
        cancelled: false,
      };
      this.waiting.set(key, t);
      this.fifo.get(trigger)!.push(t);
      this.c.triggered[trigger]++;
      if (trigger === 'retransmit') this.lastRetransmit.set(flow, eventMs);
    }
    if (this.lastRetransmit.size > 4 * this.maxPending) this.lastRetransmit.clear(); // closes we never saw
  }

  private flowKey(b: ColumnBatch, i: number, cookie: bigint, ns: bigint, flags: number): string {
    if (cookie !== 0n && !(flags & EVF.NOCOOKIE)) return `${ns}:${cookie}`;
    return `${ns}:${hex(b.b16('src', i))}:${b.u16('sport')[i]}:${hex(b.b16('dst', i))}:${b.u16('dport')[i]}`;
  }

  private closed(flow: string): void {
    this.lastRetransmit.delete(flow);
    for (const k of TRIGGER_KINDS) {
      const t = this.waiting.get(`${flow}/${k}`);
      if (!t) continue;
      t.cancelled = true;
      this.waiting.delete(`${flow}/${k}`);
      this.c.closedFirst++;
    }
  }

  /** The targets due by `nowMs` that the rate limit lets through, oldest first; the rest of the due ones are dropped (counted). */
  due(nowMs: number = wallMs()): Target[] {
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, nowMs - this.tokensAt) * this.opts.ratePerS) / 1000);
    this.tokensAt = nowMs;
    const out: Target[] = [];
    for (const [trigger, q] of this.fifo) {
      let n = 0;
      while (n < q.length && q[n]!.dueMs <= nowMs) n++;
      for (const t of q.splice(0, n)) {
        if (t.cancelled) continue;
        this.waiting.delete(`${this.keyOf(t)}/${trigger}`);
        if (this.tokens >= 1) {
          this.tokens--;
          out.push(t);
        } else this.c.dropped.limit++;
      }
    }
    return out.sort((a, b) => a.dueMs - b.dueMs);
  }

  private keyOf(t: Target): string {
    if (t.cookie !== 0n) return `${t.ns}:${t.cookie}`;
    return `${t.ns}:${hex(t.src)}:${t.sport}:${hex(t.dst)}:${t.dport}`;
  }

  /** Wall ms when the next target falls due, or null when none waits. */
  nextDueMs(): number | null {
    let next: number | null = null;
    for (const q of this.fifo.values()) {
      const t = q.find((x) => !x.cancelled);
      if (t && (next === null || t.dueMs < next)) next = t.dueMs;
    }
    return next;
  }

  /** A target the source could not place in a namespace it watches. */
  droppedNetns(n: number): void {
    this.c.dropped.netns += n;
  }

  counts(): TargetQueueCounts {
    return { ...this.c, triggered: { ...this.c.triggered }, dropped: { ...this.c.dropped }, pending: this.waiting.size };
  }
}
