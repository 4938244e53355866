// /readyz: ready once the first poll cycle is done, polls keep coming, and
// the sink (when there is one) is writing or spooling within its budget.
// Every failed check says why, so `curl /readyz` is a diagnosis.
import type { PipelineStages } from './stages';

export interface Readiness {
  ready: boolean;
  reasons: string[];
}

export interface ReadinessOptions {
  /** a poll older than this many intervals is a stall; default 3 (the alert rule's figure) */
  staleIntervals?: number;
  now?: () => number;
}

export function readiness(stages: PipelineStages, opts: ReadinessOptions = {}): Readiness {
  const now = (opts.now ?? Date.now)();
  const reasons: string[] = [];
  const poll = stages.poll?.stats();
  if (poll) {
    if (poll.lastCycleEndMs === null) reasons.push('no poll cycle completed yet');
    else {
      const limitMs = (opts.staleIntervals ?? 3) * poll.intervalSeconds * 1000;
      const age = now - poll.lastCycleEndMs;
      if (limitMs > 0 && age > limitMs) {
        reasons.push(`poll stalled: last cycle ended ${(age / 1000).toFixed(1)} s ago (interval ${poll.intervalSeconds} s)`);
      }
    }
  }
  const sink = stages.sink?.stats();
  if (sink) {
    if (sink.state === 'failing')
      reasons.push(`sink failing: neither insert nor spool works${sink.lastError ? ` (${sink.lastError})` : ''}`);
    if (sink.spoolBudgetBytes > 0 && sink.spoolBytes >= sink.spoolBudgetBytes) {
      reasons.push(`sink spool over budget: ${sink.spoolBytes} of ${sink.spoolBudgetBytes} bytes`);
    }
    if (sink.queueCapacityRows > 0 && sink.queueRows >= sink.queueCapacityRows) {
      reasons.push(`sink queue full: ${sink.queueRows} of ${sink.queueCapacityRows} rows (new rows are dropped)`);
    }
  }
  return { ready: reasons.length === 0, reasons };
}
