// The metrics server of `tcplens run`: every stage it runs, as the metrics'
// stat providers (src/metrics/stages.ts).
import { startMetrics, type MetricsHandle } from '../metrics/server';
import { metricsOptions } from '../metrics/flags';
import { observeSink } from '../metrics/sink_stage';
import type { FlowsStageStats, PipelineStages, ViewPartStats } from '../metrics/stages';
import type { Sink } from '../sinks';
import type { Sidecar } from './sidecar';
import type { OpenedViews } from './open_views';
import type { RunArgs } from './options';

export function flowsProvider(sidecar: Sidecar): { stats(): FlowsStageStats } {
  return {
    stats() {
      const s = sidecar.table.stats();
      return {
        open: s.tracked,
        opened: s.opened,
        closed: s.closed,
        evicted: s.evicted,
        graceCut: s.graceCut,
        byViews: s.coverage,
        reports: { unkeyed: s.unkeyed, late: s.late, tuple_joined: s.tupleJoined, adopted: s.adopted },
      };
    },
  };
}

/** Every part of every view, up or not, fixed at start. */
export function partsOf(opened: OpenedViews): ViewPartStats[] {
  const running = new Set(opened.views.map((v) => v.name));
  return [
    { view: 'poll', part: 'dump', program: 'inet_diag', up: running.has('poll') },
    { view: 'destroy', part: 'multicast', program: running.has('destroy') ? 'sock_diag' : '', up: running.has('destroy') },
    ...(['events', 'samples'] as const).flatMap((view) =>
      opened.parts[view].map((p) => ({ view, part: p.part, program: p.program, up: p.up })),
    ),
  ];
}

export function runStages(sidecar: Sidecar, sink: Sink, spoolBytes: number, opened: OpenedViews): PipelineStages {
  const parts = partsOf(opened);
  return {
    ...opened.stages,
    parts: { stats: () => parts },
    views: { stats: () => sidecar.viewStats() },
    flows: flowsProvider(sidecar),
    ...(sidecar.health ? { health: { stats: () => sidecar.health! } } : {}),
    // The sink bounds its memory in bytes and spools past it: no row bound to report.
    sink: observeSink(sink, { queueCapacityRows: 0, spoolBudgetBytes: spoolBytes }),
  };
}

export function startRunMetrics(args: RunArgs, stages: PipelineStages): Promise<MetricsHandle> {
  return startMetrics(metricsOptions(args), stages);
}
