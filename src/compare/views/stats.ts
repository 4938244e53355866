// Counters of sources whose stats are objects of numbers (or per-namespace
// arrays of them): flattened and summed for the report.

export function numericStats(s: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (o: unknown): void => {
    if (!o || typeof o !== 'object') return;
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === 'number') out[k] = (out[k] ?? 0) + v;
      else if (typeof v === 'bigint') out[k] = (out[k] ?? 0) + Number(v);
      else if (k === 'stats') add(v);
    }
  };
  if (Array.isArray(s)) s.forEach(add); else add(s);
  return out;
}
