// Crafted column batches for the tests of what reads them (the flow table and
// its accounts): one row per item, so every count and ordering is exact.
import type { ColumnBatch } from '../../src/layout/batch';

/** An IPv4 connection's ends, addresses as bytes. */
export interface Tuple {
  src: number[];
  sport: number;
  dst: number[];
  dport: number;
}

/** Writes row i's family (AF_INET) and 4-tuple. */
export function putTuple(b: ColumnBatch, i: number, t: Tuple): void {
  b.u8('idiag_family')[i] = 2;
  b.b16('src', i).set(t.src);
  b.b16('dst', i).set(t.dst);
  b.u16('sport')[i] = t.sport;
  b.u16('dport')[i] = t.dport;
}

/** b with one row per item, row i written by put(b, i, items[i]). */
export function withRows<B extends ColumnBatch, T>(b: B, items: readonly T[], put: (b: B, i: number, item: T) => void): B {
  items.forEach((item, i) => put(b, i, item));
  b.rows = items.length;
  return b;
}
