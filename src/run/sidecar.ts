// The main job's loop over the views (src/run/views/): the first view paces
// it (poll: each tick is a cycle), the others tick when due (destroy and
// events every --drain-interval, samples at --sample-hz, owners every
// --owners-interval), and after every round the flows that finished go to
// the sink. One loop, no overlapping timers: every view's batch is read to
// the end before another is filled.
import { FlowTable } from '../correlate/flow_table';
import type { HealthAccounts } from '../correlate/health';
import type { LifetimeSink } from '../correlate/lifetimes';
import type { ViewTickStats } from '../metrics/stages';
import type { Sink } from '../sinks';
import type { Logger } from '../util/log';
import type { View, ViewContext } from './view';

export interface SidecarConfig {
  /** the longest the loop sleeps between two rounds */
  drainMs: number;
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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Sidecar {
  readonly table: FlowTable;
  private readonly pacer: View;
  private readonly others: View[];
  private readonly ctx: ViewContext;
  private readonly ticks = new Map<View, ViewTickStats>();
  private flowRowsWritten = 0;
  private stopping = false;
  private wake: (() => void) | null = null;

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
    const due = new Map<View, number>(this.others.map((v) => [v, 0]));
    // --poll-phase: the first round waits the phase out instead of polling
    let phase = this.pacer.phaseMs ?? 0;
    try {
      while (!this.stopping) {
        const started = performance.now();
        const phaseMs = phase;
        if (phase > 0) phase = 0;
        else {
          this.beforeCycle();
          await this.tick(this.pacer);
        }
        // Between cycles: every view that is due, at least once, even after a
        // cycle that overran the interval.
        for (;;) {
          const now = performance.now();
          for (const [v, at] of due) {
            if (now < at) continue;
            due.set(v, now + v.everyMs);
            await this.tick(v);
          }
          this.writeFlows(this.table.collect());
          // read each time: the adaptive poll may shorten the wait under way
          const left = (phaseMs > 0 ? phaseMs : this.pacer.everyMs) - (performance.now() - started);
          if (this.stopping || left <= 0) break;
          const next = Math.min(...due.values()) - performance.now();
          await this.nap(Math.max(1, Math.min(left, this.cfg.drainMs, next)));
        }
      }
    } finally {
      await this.finish();
    }
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

  private nap(ms: number): Promise<void> {
    return Promise.race([
      sleep(ms),
      new Promise<void>((r) => {
        this.wake = r;
      }),
    ]);
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
      this.writeFlows(this.table.collectAll());
      await this.sink.flush();
    } finally {
      for (const v of this.views) v.close();
    }
    this.log.info('run.stopped', 'stopped', { cycles: this.stats().cycles, flows_written: this.flowRowsWritten });
  }
}
