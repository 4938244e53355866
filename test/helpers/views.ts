// Driving one view of `run` (src/run/views/) in a test, as the sidecar does:
// opened by its factory over a namespace, ticked with a flow table and a sink
// that keeps nothing.
import { FlowTable } from '../../src/correlate/flow_table';
import { parseNetnsSelector } from '../../src/netns/select';
import type { Sink } from '../../src/sinks';
import type { SinkStats } from '../../src/sinks/stats';
import { plainSinkStats } from '../../src/sinks/stats';
import { Logger } from '../../src/util/log';
import type { View, ViewContext, ViewFactory, ViewsRequest } from '../../src/run/view';
import type { PipelineStages } from '../../src/metrics/stages';

export const quietLog = new Logger({ write: () => undefined });

/** A sink that accepts everything and keeps nothing (it counts rows per table). */
export class NullSink implements Sink {
  readonly rows: Record<string, number> = {};
  private add(t: string, n: number): void {
    this.rows[t] = (this.rows[t] ?? 0) + n;
  }
  async start(): Promise<void> {}
  writeSnapshots(b: { rows: number }): void {
    this.add('tcp_snapshots', b.rows);
  }
  writeEvents(b: { rows: number }): void {
    this.add('tcp_events', b.rows);
  }
  writeSamples(b: { rows: number }): void {
    this.add('task_samples', b.rows);
  }
  writeOwners(b: { rows: number }): void {
    this.add('socket_owners', b.rows);
  }
  writeFlows(r: readonly unknown[]): void {
    this.add('tcp_flows', r.length);
  }
  writePollCycles(r: readonly unknown[]): void {
    this.add('poll_cycles', r.length);
  }
  writeCoverage(r: readonly unknown[]): void {
    this.add('coverage', r.length);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  stats(): SinkStats {
    return plainSinkStats('null', {});
  }
}

export const viewContext = (): ViewContext => ({ table: new FlowTable(), sink: new NullSink(), log: quietLog });

export interface OpenedOne {
  view: View;
  stages: Partial<PipelineStages>;
  ctx: ViewContext;
  tick(): Promise<number>;
}

/** What `run` asks of its views, for the views `wanted` over namespace `ns`
 * (a name or selector): run's defaults where `req` says nothing. */
export const viewsRequest = (wanted: string[], ns: string, req: Partial<ViewsRequest> = {}): ViewsRequest => ({
  wanted: new Set(wanted),
  netns: parseNetnsSelector(ns),
  intervalMs: 1000,
  drainMs: 200,
  sampleHz: 1,
  ownersMs: 60_000,
  ringBytes: 8 << 20,
  changesOnly: false,
  ...req,
});

/** The factory's first view over namespace `ns` (a name or selector), with a context to tick it in. */
export function openOne(factory: ViewFactory, ns: string, req: Partial<ViewsRequest> = {}): OpenedOne {
  const o = factory.open(viewsRequest([factory.name], ns, req), quietLog);
  if (!o || !o.views[0]) throw new Error(`${factory.name}: did not open`);
  const ctx = viewContext();
  const view = o.views[0];
  return { view, stages: o.stages ?? {}, ctx, tick: () => view.tick(ctx) };
}
