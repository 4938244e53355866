// A cumulative histogram a stage keeps by itself (one observe per cycle or
// per insert, never per socket), exported at scrape time as a Prometheus
// histogram by SnapshotHistogram. Kept apart from prom-client so stages do
// not depend on the metrics registry.

/** Seconds. Poll cycles of a few sockets take ~1 ms, 100k sockets ~0.3 s. */
export const DURATION_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface HistogramSnapshot {
  /** upper bounds, ascending, without +Inf */
  readonly bounds: readonly number[];
  /** counts per bound (not cumulative); counts[bounds.length] is the +Inf overflow */
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

export class CumulativeHistogram implements HistogramSnapshot {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[] = DURATION_BUCKETS) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(v: number): void {
    // from -1: the increment runs on every call, so values that all fall in
    // the first bucket (a first poll cycle's RTTs) still leave it type
    // feedback and a later value does not deoptimize the poll path that inlines this
    let i = -1;
    do i++;
    while (i < this.bounds.length && v > this.bounds[i]!);
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}
