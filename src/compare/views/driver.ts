// A view driver: what compare needs from any view to measure it. One driver
// runs per child process (see ../view_worker.ts), which times every tick and
// reports the cost. Adding a view = one file with a factory (start, tick,
// finish, counters, close; rows go to ObsTable.observeBatch) + one line in
// ./index.ts.
import type { ObsTable } from '../observe';
import type { NetnsSelector } from '../../netns/select';

export interface DriverOptions {
  netns: NetnsSelector;
  /** poll: the interval; samples: the sampling period; others: how often to drain */
  intervalMs: number;
  /** the adaptive poll: its coverage target and CPU budget (shares of one) */
  adaptive?: { target: number; cpuBudget: number };
}

export interface ViewDriver {
  /** ms between ticks (the poll interval, or the drain period of a push view);
   * read after every tick: the adaptive poll changes it */
  readonly tickMs: number;
  /** open, subscribe, attach: after this resolves the view catches everything */
  start(obs: ObsTable): Promise<void>;
  /** one unit of work (a poll cycle, a ring or queue drain); returns rows handled */
  tick(obs: ObsTable): Promise<number>;
  /** the last drain after the workload ended (push views: what is still queued) */
  finish(obs: ObsTable): Promise<void>;
  /** cumulative kernel-side counters: syscalls, bytes, drops (summed over namespaces) */
  counters(): Record<string, number>;
  /** when its dumps sampled (midpoints, performance.now() ms), for a view whose ticks are not all dumps */
  instants?(): number[];
  /** A view woken by its data, not by a clock: calls `wake` once when a
   * batch of work waits (one-shot, armed again before every wait), and the
   * worker ticks at once; false when it cannot (it ticks every tickMs then). */
  watch?(wake: () => void): boolean;
  /** CPU its own threads spent outside the ticks (a reader thread), µs,
   * cumulative: charged to the view beside its ticks' CPU */
  backgroundCpuUs?(): number;
  close(): void;
}

/** { unavailable }: the view cannot run here (not built, no capability): say why. */
export type DriverFactory = (opts: DriverOptions) => ViewDriver | { unavailable: string };
