// A prom-client metric whose samples are computed at scrape time from the
// stages' own counters: no inc() on the hot path, no stale copies.
import type { Registry } from 'prom-client';
import type { HistogramSnapshot } from './histogram';

export type Labels = Record<string, string>;
export interface Sample {
  value: number;
  labels?: Labels;
  /** for histogram parts: NAME_bucket, NAME_sum, NAME_count */
  metricName?: string;
}

export type MetricType = 'counter' | 'gauge' | 'histogram';

export class CollectedMetric {
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
    private readonly read: () => Sample[],
  ) {}

  async get(): Promise<{ name: string; help: string; type: MetricType; aggregator: string; values: Sample[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.read() };
  }

  reset(): void {
    /* the stages own the values */
  }
}

/** Prometheus histogram samples (cumulative buckets, +Inf, sum, count). */
export function histogramSamples(name: string, h: HistogramSnapshot, labels: Labels = {}): Sample[] {
  const out: Sample[] = [];
  let acc = 0;
  h.bounds.forEach((b, i) => {
    acc += h.counts[i] ?? 0;
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: String(b) }, value: acc });
  });
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count });
  out.push({ metricName: `${name}_sum`, labels, value: h.sum });
  out.push({ metricName: `${name}_count`, labels, value: h.count });
  return out;
}

/** Registers metrics read from one optional provider: nothing to read, no
 * samples. A scrape reads every metric in one synchronous pass, so the
 * provider's stats() is called once per scrape, not once per metric. */
export class MetricSet<T> {
  private cached: { v: T | undefined } | undefined;
  constructor(
    private readonly reg: Registry,
    private readonly source: () => T | undefined,
  ) {}

  private read(): T | undefined {
    if (!this.cached) {
      this.cached = { v: this.source() };
      process.nextTick(() => {
        this.cached = undefined;
      });
    }
    return this.cached.v;
  }

  private add(name: string, help: string, type: MetricType, f: (s: T) => Sample[]): this {
    this.reg.registerMetric(
      new CollectedMetric(name, help, type, () => {
        const s = this.read();
        return s === undefined ? [] : f(s);
      }) as never,
    );
    return this;
  }

  counter(name: string, help: string, f: (s: T) => number | Sample[]): this {
    return this.add(name, help, 'counter', (s) => one(f(s)));
  }

  gauge(name: string, help: string, f: (s: T) => number | Sample[]): this {
    return this.add(name, help, 'gauge', (s) => one(f(s)));
  }

  histogram(name: string, help: string, f: (s: T) => Array<[HistogramSnapshot, Labels]> | HistogramSnapshot): this {
    return this.add(name, help, 'histogram', (s) => {
      const r = f(s);
      return Array.isArray(r) ? r.flatMap(([h, l]) => histogramSamples(name, h, l)) : histogramSamples(name, r);
    });
  }
}

function one(v: number | Sample[]): Sample[] {
  return typeof v === 'number' ? [{ value: v }] : v;
}
