// Keeps the rows a mask selects, in place and in order: every column moves
// its kept rows down. Used by --changes-only before a batch goes to a sink.
import { TYPE_WIDTH, type ColumnBatch } from './batch';

/** Rows with keep[i] != 0 stay; returns (and sets) the new row count. */
export function compactRows(b: ColumnBatch, keep: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < b.rows; i++) if (keep[i]) n++;
  if (n === b.rows) return n;
  for (const c of b.columns) {
    const v = b.views[c.name]!;
    const w = c.type === 'b16' ? TYPE_WIDTH.b16 : 1;
    let j = 0;
    for (let i = 0; i < b.rows; i++) {
      if (!keep[i]) continue;
      if (i !== j) {
        if (w === 1) v[j] = v[i]!;
        else (v as Uint8Array).copyWithin(j * w, i * w, i * w + w);
      }
      j++;
    }
  }
  b.rows = n;
  return n;
}
