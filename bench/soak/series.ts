// bench/soak's samples of a running `tcplens run`: what /proc and /metrics say
// about it at one instant, and the growth of a figure over the run (least
// squares slope after the baseline window, beside the baseline itself).
import * as fs from 'fs';

export interface Sample {
  /** seconds since the run started */
  t: number;
  rssMiB: number;
  heapMiB: number;
  /** memory outside the V8 heap held by JS objects (ArrayBuffers: staging pools, batches) */
  externalMiB: number;
  fds: number;
  threads: number;
  /** event-loop lag p99, ms */
  lagMs: number;
  queueRows: number;
  spoolBytes: number;
  /** sum of every drop, loss and error counter */
  drops: number;
  /** connections the workload made so far */
  conns: number;
}

/** metric name -> sum over its label sets (one scrape) */
export function parseMetrics(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const r = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (!r) continue;
    const key = r[2]?.includes('outcome="dropped"') ? `${r[1]}{dropped}` : r[1]!;
    m.set(key, (m.get(key) ?? 0) + Number(r[3]));
  }
  return m;
}

/** Counters that must stay 0 in a healthy run: drops, losses, errors, overflows. */
export function dropCounters(m: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of m) {
    if (/^tcplens_.*_(dropped|lost|errors|overflow|evicted)_total$|\{dropped\}$/.test(k) && v > 0) out[k] = v;
  }
  return out;
}

export function procFigures(pid: number): { rssMiB: number; fds: number; threads: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: field('VmRSS') / 1024, fds: fs.readdirSync(`/proc/${pid}/fd`).length, threads: field('Threads') };
}

export function sampleOf(t: number, pid: number, m: Map<string, number>, conns: number): Sample {
  return {
    t,
    ...procFigures(pid),
    heapMiB: (m.get('tcplens_nodejs_heap_size_used_bytes') ?? NaN) / 2 ** 20,
    externalMiB: (m.get('tcplens_nodejs_external_memory_bytes') ?? NaN) / 2 ** 20,
    lagMs: (m.get('tcplens_nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000,
    queueRows: m.get('tcplens_sink_queue_rows') ?? NaN,
    spoolBytes: m.get('tcplens_sink_spool_bytes') ?? NaN,
    drops: Object.values(dropCounters(m)).reduce((a, b) => a + b, 0),
    conns,
  };
}

/** least squares slope of y over t (per second) */
export function slope(t: number[], y: number[]): number {
  const n = t.length;
  if (n < 2) return 0;
  const mt = t.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let num = 0,
    den = 0;
  for (let i = 0; i < n; i++) {
    num += (t[i]! - mt) * (y[i]! - my);
    den += (t[i]! - mt) ** 2;
  }
  return den ? num / den : 0;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
};

export interface Growth {
  figure: keyof Sample;
  /** median over the baseline window */
  baseline: number;
  /** median over the last baseline-long window */
  end: number;
  /** per minute, after the baseline window */
  slopePerMin: number;
  /** max after the baseline window */
  max: number;
}

export function growth(samples: Sample[], figure: keyof Sample, baselineS: number): Growth {
  const base = samples.filter((s) => s.t <= baselineS);
  const after = samples.filter((s) => s.t > baselineS);
  const last = samples.filter((s) => s.t > samples[samples.length - 1]!.t - baselineS);
  return {
    figure,
    baseline: median(base.map((s) => s[figure])),
    end: median(last.map((s) => s[figure])),
    slopePerMin:
      slope(
        after.map((s) => s.t),
        after.map((s) => s[figure]),
      ) * 60,
    max: Math.max(...after.map((s) => s[figure])),
  };
}
