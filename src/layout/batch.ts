// A column batch: one ArrayBuffer owned by JS, viewed as one typed array per
// column (struct of arrays). The native fill writes rows into it; nothing is
// copied on the way back. Every view (poll, destroy, events, samples) uses it
// with its own column table, so sinks and correlation read them all alike.
import type { ColumnType } from '../native/addon';
import { POLL_COLUMNS, type ColumnSpec } from './poll_columns';

export type { ColumnSpec };

export const TYPE_WIDTH: Record<ColumnType, number> = { u8: 1, u16: 2, u32: 4, u64: 8, b16: 16 };

const align8 = (n: number): number => (n + 7) & ~7;

export interface PlacedColumn extends ColumnSpec {
  readonly offset: number;
}

/** Byte offsets of every column for `capacity` rows: mirrors the native
 * layout functions (tl_poll_layout() and its kin). */
export function placeColumns(capacity: number, specs: readonly ColumnSpec[] = POLL_COLUMNS): { bytes: number; columns: PlacedColumn[] } {
  let off = 0;
  const columns = specs.map((c) => {
    const placed = { ...c, offset: off };
    off += align8(capacity * TYPE_WIDTH[c.type]);
    return placed;
  });
  return { bytes: off, columns };
}

export type ColumnView = Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

function makeView(buf: ArrayBuffer, c: PlacedColumn, capacity: number): ColumnView {
  switch (c.type) {
    case 'u8':
      return new Uint8Array(buf, c.offset, capacity);
    case 'u16':
      return new Uint16Array(buf, c.offset, capacity);
    case 'u32':
      return new Uint32Array(buf, c.offset, capacity);
    case 'u64':
      return new BigUint64Array(buf, c.offset, capacity);
    case 'b16':
      return new Uint8Array(buf, c.offset, capacity * 16);
  }
}

/** Columns of one batch. `rows` is set by whoever filled it. */
export class ColumnBatch {
  readonly buffer: ArrayBuffer;
  readonly columns: readonly PlacedColumn[];
  readonly views: Readonly<Record<string, ColumnView>>;
  rows = 0;

  constructor(
    readonly capacity: number,
    readonly specs: readonly ColumnSpec[],
  ) {
    const { bytes, columns } = placeColumns(capacity, specs);
    this.buffer = new ArrayBuffer(bytes);
    this.columns = columns;
    // a null-prototype object is a dictionary of one shared map: every
    // layout's views (poll, events, samples, owners) are one shape to the
    // code that reads them by name, not a new map per layout to deoptimize on
    const views = Object.create(null) as Record<string, ColumnView>;
    for (const c of columns) views[c.name] = makeView(this.buffer, c, capacity);
    this.views = views;
  }

  u8(name: string): Uint8Array {
    return this.views[name] as Uint8Array;
  }
  u16(name: string): Uint16Array {
    return this.views[name] as Uint16Array;
  }
  u32(name: string): Uint32Array {
    return this.views[name] as Uint32Array;
  }
  u64(name: string): BigUint64Array {
    return this.views[name] as BigUint64Array;
  }
  /** 16 raw address bytes of row i in a b16 column. */
  b16(name: string, i: number): Uint8Array {
    return (this.views[name] as Uint8Array).subarray(i * 16, i * 16 + 16);
  }
}

/** A batch in the poll layout (poll and destroy views). */
export class PollBatch extends ColumnBatch {
  constructor(capacity: number) {
    super(capacity, POLL_COLUMNS);
  }
}
