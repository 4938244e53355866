// The main job's loop over the views (src/run/views/): the first view paces
// it (poll: each tick is a cycle), the others tick when due (samples at
// --sample-hz, owners every --owners-interval), and after every round the
// flows that finished go to the sink. A view that can be watched (destroy,
// events: View.watch) ticks when the kernel gave it something, at most every
// --drain-interval, and once a cycle; an idle host wakes the loop only for
// what is due. One loop, no overlapping timers: every view's batch is read
// to the end before another is filled.
import { FlowTable, READY_ROWS } from '../correlate/flow_table';
import type { HealthAccounts } from '../correlate/health';
import type { LifetimeSink } from '../correlate/lifetimes';
import type { ViewTickStats } from '../metrics/stages';
import type { Sink } from '../sinks';
import type { Logger } from '../util/log';
import type { View, ViewContext } from './view';

export interface SidecarConfig {
  maxFlows: number;
  /** the TCP health metrics the flow table feeds (--health) */
  health?: HealthAccounts;
  /** where closed flows' lifetimes go (the adaptive poll) */
  lifetimes?: LifetimeSink;
}

/** The loop's own totals; each view keeps its own counters. */
export interface SidecarStats {
  cycles: number;
  flowRowsWritten: number;
}

export class Sidecar {
  readonly table: FlowTable;
  private readonly pacer: View;
  private readonly others: View[];
  private readonly ctx: ViewContext;
  private readonly ticks = new Map<View, ViewTickStats>();
  private flowRowsWritten = 0;
  private stopping = false;
  private wake: (() => void) | null = null;
  /** when each view but the pacer is next due (Infinity: waiting for its wake) */
  private readonly due = new Map<View, number>();
  /** when each view last ticked */
  private readonly last = new Map<View, number>();

  /** views: the first paces the loop (its ticks are the cycles) */
  constructor(
    private readonly cfg: SidecarConfig,
    private readonly sink: Sink,
    readonly views: readonly View[],
    private readonly log: Logger,
  ) {
    if (!views.length) throw new Error('Sidecar: no view to run');
    [this.pacer, ...this.others] = views as [View, ...View[]];
    this.table = new FlowTable({
      maxFlows: cfg.maxFlows,
      ...(cfg.health ? { health: cfg.health } : {}),
      ...(cfg.lifetimes ? { lifetimes: cfg.lifetimes } : {}),
      // a burst's grace-cut rows go to the sink as they come, not at the end of the drain
      onReady: (rows) => this.writeFlows(rows),
    });
    this.ctx = { table: this.table, sink, log };
    for (const v of views) this.ticks.set(v, { view: v.name, ticks: 0, rows: 0, seconds: 0 });
  }

  get health(): HealthAccounts | undefined {
    return this.cfg.health;
  }

  stats(): SidecarStats {
    return { cycles: this.ticks.get(this.pacer)!.ticks, flowRowsWritten: this.flowRowsWritten };
  }

  /** Ticks, rows and seconds of every view (the tcplens_view_* metrics). */
  viewStats(): ViewTickStats[] {
    return [...this.ticks.values()].map((t) => ({ ...t }));
  }

  /** Asks the loop to finish: it flushes everything and resolves run(). */
  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  async run(): Promise<void> {
    this.beforeCycle(); // subscribe before the first cycle: closes from now on are caught
    // beforeFirst views wait (as if for a wake) until the first cycle: they tick right before it
    for (const v of this.others) this.due.set(v, v.beforeFirst ? Infinity : 0);
    let first = true;
    // --poll-phase: the first round waits the phase out instead of polling
    let phase = this.pacer.phaseMs ?? 0;
    try {
      while (!this.stopping) {
        const started = performance.now();
        const phaseMs = phase;
        if (phase > 0) phase = 0;
        else {
          this.beforeCycle();
          if (first) for (const v of this.others) if (v.beforeFirst) await this.tick(v);
          first = false;
          await this.tick(this.pacer);
          // once a cycle every watched view too: new namespaces, and a wake lost to a race
          for (const [v, at] of this.due) if (at === Infinity) this.due.set(v, 0);
        }
        // Between cycles: every view that is due, at least once, even after a
        // cycle that overran the interval.
        for (;;) {
          for (const [v, at] of this.due) {
            const now = performance.now();
            if (now < at) continue;
            if (!v.watch) this.due.set(v, now + v.everyMs);
            await this.tick(v);
            if (v.watch) this.arm(v);
          }
          // READY_ROWS at a time: each chunk's rows are garbage before the next is made
          for (let rows; (rows = this.table.collect(READY_ROWS)).length;) this.writeFlows(rows);
          // read each time: the adaptive poll may shorten the wait under way
          const now = performance.now();
          const left = (phaseMs > 0 ? phaseMs : this.pacer.everyMs) - (now - started);
          if (this.stopping || left <= 0) break;
          const next = Math.min(...this.due.values(), now + this.table.msToCollect()) - now;
          await this.nap(Math.max(1, Math.min(left, next)));
        }
      }
    } finally {
      await this.finish();
    }
  }

  /** After a watched view's tick: it waits for its wake, or ticks on its period if it cannot be watched. */
  private arm(v: View): void {
    const t = performance.now();
    this.last.set(v, t);
    const watched = v.watch!(() => {
      if (this.stopping || this.due.get(v) !== Infinity) return;
      this.due.set(v, Math.max(performance.now(), (this.last.get(v) ?? 0) + v.everyMs));
      this.wake?.();
    });
    this.due.set(v, watched ? Infinity : t + v.everyMs);
  }

  private beforeCycle(): void {
    for (const v of this.views) v.beforeCycle?.();
  }

  private async tick(v: View): Promise<void> {
    const t0 = performance.now();
    const rows = await v.tick(this.ctx);
    const s = this.ticks.get(v)!;
    s.ticks++;
    s.rows += rows;
    s.seconds += (performance.now() - t0) / 1000;
  }

  /** Sleeps ms, or until stop() or a watched view's wake. */
  private nap(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private writeFlows(rows: ReturnType<FlowTable['collect']>): void {
    if (!rows.length) return;
    this.flowRowsWritten += rows.length;
    this.sink.writeFlows(rows);
  }

  /** Every view but the pacer once more, every flow out, the sink flushed (or spooled). */
  private async finish(): Promise<void> {
    try {
      for (const v of this.others) await this.tick(v);
      for (let rows; (rows = this.table.collectAll(READY_ROWS)).length;) this.writeFlows(rows);
      await this.sink.flush();
    } finally {
      for (const v of this.views) v.close();
    }
    this.log.info('run.stopped', 'stopped', { cycles: this.stats().cycles, flows_written: this.flowRowsWritten });
  }
}
