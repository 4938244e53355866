// A result set as text: an aligned table for people, JSON (one array),
// ndjson (one object per line) or CSV (RFC 4180, a header line first).
// 64-bit integers stay as ClickHouse sends them in JSON: decimal strings.
import type { ResultSet } from './run';
import { printable } from './literal';

export const FORMATS = ['table', 'json', 'ndjson', 'csv'] as const;
export type Format = (typeof FORMATS)[number];

const text = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

function csvField(v: unknown): string {
  const s = text(v);
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Numbers right-aligned, the rest left; control characters shown as \xHH so a row stays one line. */
function table(r: ResultSet): string {
  const names = r.columns.map((c) => c.name);
  const numeric = r.columns.map((c) => /^(U?Int|Float|Decimal)/.test(c.type.replace(/^(Nullable|LowCardinality)\(/, '')));
  const cells = r.rows.map((row) => names.map((n) => printable(text(row[n]))));
  const width = names.map((n, i) => Math.max(n.length, ...cells.map((c) => c[i]!.length)));
  const line = (vals: string[]): string =>
    vals
      .map((v, i) => (numeric[i] ? v.padStart(width[i]!) : v.padEnd(width[i]!)))
      .join('  ')
      .trimEnd();
  return [line(names), ...cells.map(line)].join('\n') + '\n';
}

export function formatResult(r: ResultSet, f: Format): string {
  switch (f) {
    case 'json':
      return `${JSON.stringify(r.rows, null, 2)}\n`;
    case 'ndjson':
      return r.rows.map((row) => `${JSON.stringify(row)}\n`).join('');
    case 'csv':
      return [
        r.columns.map((c) => csvField(c.name)).join(','),
        ...r.rows.map((row) => r.columns.map((c) => csvField(row[c.name])).join(',')),
      ]
        .map((l) => `${l}\r\n`)
        .join('');
    case 'table':
      return table(r);
  }
}
