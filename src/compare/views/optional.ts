// Loading a view's source module that may not be part of this build yet
// (events and samples live on their own branches until merged).
import type { ColumnBatch } from '../../layout/batch';

/** The shape compare needs from EventSource / SampleSource. */
export interface PushSource {
  start?(): void | Promise<void>;
  drain(consume: (batch: ColumnBatch, ctx: unknown) => void | Promise<void>): Promise<{ rows: number } | number> | { rows: number } | number;
  stats?(): unknown;
  close(): void;
}

export type PushSourceCtor = new (opts: Record<string, unknown>) => PushSource;

/** The exported class, or why it cannot be had. */
export function loadSource(modulePath: string, exportName: string): PushSourceCtor | { unavailable: string } {
  let mod: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    mod = require(modulePath) as Record<string, unknown>;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'MODULE_NOT_FOUND' && err.message.includes(modulePath.split('/').pop()!)) {
      return { unavailable: `not in this build (${modulePath.replace(/^\.\.\/\.\.\//, 'src/')}.ts is missing)` };
    }
    return { unavailable: `${modulePath} failed to load: ${err.message.split('\n')[0]}` };
  }
  const ctor = mod[exportName];
  if (typeof ctor !== 'function') return { unavailable: `${modulePath} exports no ${exportName}` };
  return ctor as PushSourceCtor;
}

export const rowsOf = (r: { rows: number } | number): number => (typeof r === 'number' ? r : r.rows);

/** Flattens a source's stats (an object or a per-namespace array) into numbers. */
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
