// The events view: every TCP open, close, state change, retransmit and reset
// from eBPF (bpf/tcp_events.bpf.c), drained from a ring buffer in whole
// column batches. The kernel never wakes us per event (BPF_RB_NO_WAKEUP):
// the caller drains on a timer (drainEvery, or drain() from its own loop).
import type { ColumnBatch } from '../layout/batch';
import { EV_KIND, EventBatch } from '../layout/event_columns';
import { eventsAddon, type EventTracer, type EventTracerConfig, type EventTracerStats } from '../native/events_addon';
import type { ViewPart } from '../native/addon';
import { loadParts, type Availability } from './parts';
import { CAP, hasCap, readCapEff } from '../preflight/caps';
import { TcplensError } from '../util/errors';

export interface EventOptions extends EventTracerConfig {
  /** rows per batch */
  batchRows?: number;
}

/** What a consumer needs besides the columns: comm names (id = index + 1). */
export interface EventBatchContext {
  names: readonly string[];
  /** CLOCK_REALTIME - CLOCK_MONOTONIC applied to this batch's ts_ns, ns */
  offsetNs: number;
  mode: 'tp_btf' | 'tracepoint';
}

export type EventConsumer = (batch: ColumnBatch, ctx: EventBatchContext) => void | Promise<void>;

export type { Availability };

export interface EventSourceStats extends EventTracerStats {
  mode: 'tp_btf' | 'tracepoint' | null;
  ringBytes: number;
}

export { EventBatch };

/** Bit k keeps event kind k (the tracer's `kinds`). */
export const kindMask = (...kinds: Array<keyof typeof EV_KIND>): number => kinds.reduce((m, k) => m | (1 << EV_KIND[k]), 0);

/** What the flow table uses: opens, closes, retransmits, resets; not the
 * other state changes, which cost probe time and say nothing it keeps. */
export const FLOW_KINDS = kindMask('ACTIVE_OPEN', 'PASSIVE_OPEN', 'CLOSE', 'RETRANSMIT', 'RESET_SENT', 'RESET_RECEIVED');

/** Cheap checks that need no loading: built in, and the capabilities. */
export function eventsAvailability(capEff: bigint = readCapEff()): Availability {
  let built;
  try {
    built = eventsAddon().eventsBuilt();
  } catch (e) {
    return { ok: false, reason: `native addon not loadable: ${(e as Error).message}` };
  }
  if (!built.built) return { ok: false, reason: `not built: ${built.reason ?? 'unknown reason'}` };
  const caps = hasCap(capEff, CAP.SYS_ADMIN) || (hasCap(capEff, CAP.BPF) && hasCap(capEff, CAP.PERFMON));
  if (!caps) return { ok: false, reason: 'no CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN): eBPF programs cannot be loaded' };
  return { ok: true };
}

export class EventSource {
  private tracer: EventTracer | null = null;
  private readonly batch: EventBatch;
  private readonly names: string[] = [];
  private draining: Promise<unknown> | null = null;
  /** the counters at close(), so they can be reported afterwards */
  private final: EventSourceStats | null = null;
  private parts_: ViewPart[] = [];

  constructor(private readonly opts: EventOptions = {}) {
    this.batch = new EventBatch(opts.batchRows ?? 1024);
  }

  static availability(): Availability {
    return eventsAvailability();
  }

  /** Loads and attaches every part the kernel accepts (parts() says which);
   * throws TcplensError EEVENTS with the reason when none runs (not built,
   * no capability, every part refused). */
  start(): void {
    if (this.tracer) return;
    const { batchRows: _b, ...config } = this.opts;
    this.tracer = loadParts(
      'events',
      eventsAvailability(),
      'EEVENTS',
      () => new (eventsAddon().EventTracer)(config),
      (p) => (this.parts_ = p),
      (e) => `load failed: ${e.message}`,
    );
  }

  /** Each part as the last start() left it: running variant, or off and why. */
  parts(): ViewPart[] {
    return this.parts_;
  }

  get mode(): 'tp_btf' | 'tracepoint' | null {
    return this.tracer?.mode ?? null;
  }

  /** Calls `wake` once, when the ring or the reader thread has rows (one-shot:
   * arm it again after a drain); gathered: only once the reader thread has
   * gathered a batch (pumpMs after the first record). False when it cannot
   * (no reader thread yet). */
  watch(wake: () => void, gathered = false): boolean {
    const t = this.tracer;
    let once = false;
    // the ring and the reader's queue are watched both: the first to fire wakes
    return (
      !!t &&
      !t.closed &&
      t.watch(() => {
        if (once) return;
        once = true;
        wake();
      }, gathered)
    );
  }

  /** Hands everything in the ring now to `consume`, batch by batch (the
   * batch is reused: read it before the consumer's promise resolves). */
  async drain(consume: EventConsumer): Promise<{ rows: number; batches: number }> {
    const t = this.tracer;
    if (!t) throw new TcplensError('EEVENTS', 'EventSource.drain() before start()');
    const sum = { rows: 0, batches: 0 };
    for (;;) {
      const r = await t.drain(this.batch.buffer, this.batch.capacity);
      if (r.names.length) this.names.push(...r.names);
      if (r.rows > 0) {
        this.batch.rows = r.rows;
        sum.rows += r.rows;
        sum.batches++;
        await consume(this.batch, { names: this.names, offsetNs: r.offsetNs, mode: t.mode ?? 'tp_btf' });
      }
      if (r.errno) throw new TcplensError('EEVENTS', `events: ring buffer read failed: ${r.code ?? r.errno}`);
      if (!r.more) return sum;
    }
  }

  /** Drains every `ms` until stop(); drains never overlap, and stop()
   * drains once more so nothing read by the kernel is left behind. */
  drainEvery(ms: number, consume: EventConsumer, onError: (e: Error) => void = () => {}): { stop(): Promise<void> } {
    let stopped = false;
    const tick = async (): Promise<void> => {
      try {
        await this.drain(consume);
      } catch (e) {
        onError(e as Error);
      }
    };
    const timer = setInterval(() => {
      if (this.draining || stopped) return;
      this.draining = tick().finally(() => {
        this.draining = null;
      });
    }, ms);
    return {
      stop: async () => {
        stopped = true;
        clearInterval(timer);
        if (this.draining) await this.draining;
        if (this.tracer) await tick();
      },
    };
  }

  stats(): EventSourceStats {
    const t = this.tracer;
    if (this.final) return this.final;
    if (!t || t.closed) {
      return {
        events: 0,
        bytes: 0,
        batches: 0,
        malformed: 0,
        commOverflow: 0,
        lost: 0,
        lostPerCpu: [],
        tableFull: 0,
        mode: null,
        ringBytes: 0,
      };
    }
    return { ...t.stats(), mode: t.mode, ringBytes: t.ringBytes };
  }

  /** Detaches and unloads. Idempotent. */
  close(): void {
    if (this.tracer && !this.tracer.closed) this.final = this.stats();
    this.tracer?.close();
    this.tracer = null;
  }
}
