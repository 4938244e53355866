// Reads a live /metrics page into { 'name{a="x",b="y"}': value } (labels
// sorted) and the set of metric names that have at least one sample.
export interface Scrape {
  values: Map<string, number>;
  names: Set<string>;
  /** value of NAME with exactly these labels; undefined when absent */
  get(name: string, labels?: Record<string, string>): number | undefined;
}

export function parseExposition(text: string): Scrape {
  const values = new Map<string, number>();
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`bad exposition line: ${line}`);
    const labels = [...(m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => `${x[1]}="${x[2]}"`).sort();
    values.set(`${m[1]}{${labels.join(',')}}`, Number(m[4]));
    names.add(m[1]!);
  }
  return {
    values,
    names,
    get(name, labels = {}) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${v}"`)
        .sort();
      return values.get(`${name}{${l.join(',')}}`);
    },
  };
}

export async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(`${url}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics: ${res.status}`);
  return parseExposition(await res.text());
}
