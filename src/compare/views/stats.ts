// A source's counters for the report: an object of numbers, or one per
// namespace (summed); nested "stats" objects are read through.

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
  if (Array.isArray(s)) s.forEach(add);
  else add(s);
  return out;
}
