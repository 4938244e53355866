// The metrics server of `tcplens run`: every stage it runs, as the metrics'
// stat providers (src/metrics/stages.ts).
import { startMetrics, type MetricsHandle } from '../metrics/server';
import { metricsOptions } from '../metrics/flags';
import { observeSink } from '../metrics/sink_stage';
import type { FlowsStageStats, PipelineStages, ViewPartStats } from '../metrics/stages';
import type { Sink } from '../sinks';
import type { Sidecar } from './sidecar';
import type { PeriodicViews } from './views';
import type { RunArgs } from './options';

export function flowsProvider(sidecar: Sidecar): { stats(): FlowsStageStats } {
  return {
    stats() {
      const s = sidecar.table.stats();
      return {
        open: s.tracked, opened: s.opened, closed: s.closed, evicted: s.evicted, byViews: s.coverage,
        reports: { unkeyed: s.unkeyed, late: s.late, tuple_joined: s.tupleJoined, adopted: s.adopted },
      };
    },
  };
}

/** Every part of every view, up or not, fixed at start. */
export function partsOf(sidecar: Sidecar, periodic: PeriodicViews): ViewPartStats[] {
  return [
    { view: 'poll', part: 'dump', program: 'inet_diag', up: true },
    { view: 'destroy', part: 'multicast', program: sidecar.destroy ? 'sock_diag' : '', up: !!sidecar.destroy },
    ...(['events', 'samples'] as const).flatMap((view) =>
      periodic.parts[view].map((p) => ({ view, part: p.part, program: p.program, up: p.up }))),
  ];
}

export function runStages(sidecar: Sidecar, sink: Sink, spoolBytes: number, periodic: PeriodicViews): PipelineStages {
  const parts = partsOf(sidecar, periodic);
  return {
    parts: { stats: () => parts },
    poll: sidecar.poll,
    ...(sidecar.destroy ? { destroy: sidecar.destroy } : {}),
    ...(periodic.events ? { events: periodic.events } : {}),
    ...(periodic.samples ? { samples: periodic.samples } : {}),
    flows: flowsProvider(sidecar),
    // The sink bounds its memory in bytes and spools past it: no row bound to report.
    sink: observeSink(sink, { queueCapacityRows: 0, spoolBudgetBytes: spoolBytes }),
  };
}

export function startRunMetrics(args: RunArgs, stages: PipelineStages): Promise<MetricsHandle> {
  return startMetrics(metricsOptions(args), stages);
}
