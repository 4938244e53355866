// The schedule of a workload: when each flow starts, how long it stays open
// and how many bytes it moves. A pure function of the spec (and its seed).
import { Rng } from './rng';
import type { DurationDist, LoadSpec } from './spec';

export interface PlannedFlow {
  id: number;
  /** ms after the workload's start */
  startMs: number;
  /** connect to close, ms */
  durationMs: number;
  up: number;
  down: number;
}

/** Times are rounded to the microsecond so the schedule prints and compares exactly. */
const us = (ms: number): number => Math.round(ms * 1000) / 1000;

function drawDuration(d: DurationDist, rng: Rng): number {
  switch (d.kind) {
    case 'fixed':
      return d.ms;
    case 'exp':
      return rng.exp(d.meanMs);
    case 'lognormal':
      return d.medianMs * Math.exp(d.sigma * rng.normal());
    case 'bimodal':
      return rng.next() < d.longFraction ? d.longMs : d.shortMs;
  }
}

/** Durations are at least 1 µs: a flow is connected before it is closed. */
export function buildSchedule(spec: LoadSpec): PlannedFlow[] {
  // Separate streams for arrivals and durations: changing the distribution
  // keeps the arrival times of the same seed.
  const arrivals = new Rng(spec.seed * 2 + 1);
  const lengths = new Rng(spec.seed * 2 + 2);
  const gapMs = 1000 / spec.rate;
  const flows: PlannedFlow[] = [];
  let t = 0;
  for (let id = 0; id < spec.flows; id++) {
    const dist = spec.then && id >= spec.flows / 2 ? spec.then : spec.duration;
    flows.push({ id, startMs: us(t), durationMs: Math.max(0.001, us(drawDuration(dist, lengths))), up: spec.up, down: spec.down });
    t += spec.arrival === 'even' ? gapMs : arrivals.exp(gapMs);
  }
  return flows;
}

/** When the last flow is planned to close, ms after the start. */
export function scheduleSpanMs(flows: readonly PlannedFlow[]): number {
  let end = 0;
  for (const f of flows) end = Math.max(end, f.startMs + f.durationMs);
  return end;
}
