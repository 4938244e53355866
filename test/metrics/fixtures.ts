// Stage providers for the views not merged yet (events, samples, flows,
// sink): plain objects of the documented shapes, with counters a test sets.
import { CumulativeHistogram } from '../../src/metrics/histogram';
import { newCounters } from '../../src/sinks/stats';
import { observeSink, type SinkCountersLike } from '../../src/metrics/sink_stage';
import {
  viewsLabel,
  type EventsStageStats,
  type FlowsStageStats,
  type PipelineStages,
  type SamplesStageStats,
} from '../../src/metrics/stages';
import { VIEW_EVENTS, VIEW_POLL } from '../../src/correlate/flow_row';
import { HealthAccounts } from '../../src/correlate/health';

export function sinkCounters(): SinkCountersLike {
  const t = newCounters;
  return {
    tables: { tcp_flows: t(), tcp_snapshots: t() },
    queue_rows: 0,
    spool_bytes: 0,
    outage: false,
    insert_latency: new CumulativeHistogram(),
  };
}

export interface OtherStages {
  events: EventsStageStats;
  samples: SamplesStageStats;
  flows: FlowsStageStats;
  sink: SinkCountersLike;
  stages: PipelineStages;
}

export function otherStages(limits = { queueCapacityRows: 1000, spoolBudgetBytes: 1 << 20 }): OtherStages {
  const events: EventsStageStats = {
    programs: { handle_set_state: { read: 0, lost: 0 }, handle_retransmit: { read: 0, lost: 0 } },
    bytes: 0,
    polls: 0,
    errors: 0,
    rows: 0,
  };
  const samples: SamplesStageStats = { iterations: 0, seconds: 0, records: 0, errors: 0, dropped: 0 };
  const flows: FlowsStageStats = { open: 0, opened: 0, closed: 0, evicted: 0, byViews: { [viewsLabel(VIEW_POLL | VIEW_EVENTS)]: 0 } };
  const sink = sinkCounters();
  const health = new HealthAccounts();
  return {
    events,
    samples,
    flows,
    sink,
    stages: {
      events: { stats: () => events },
      samples: { stats: () => samples },
      flows: { stats: () => flows },
      sink: observeSink({ stats: () => sink }, limits),
      parts: { stats: () => [{ view: 'samples', part: 'owners', program: 'sample_owners', up: true }] },
      health: { stats: () => health },
    },
  };
}
