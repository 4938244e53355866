// ClickHouse Native format, the columnar wire format of INSERT ... FORMAT
// Native: per block, varint column count, varint row count, then per column
// its name, its type name and its values (fixed-width little-endian, or
// varint-length-prefixed strings). Column buffers from the native views are
// copied as whole slices: no object per row.
//
// The encoders produce an EncodedChunk (one byte run per column) rather than
// a finished block so the sink can stage many chunks of one table into a
// single block per INSERT (one block = one part = one atomic insert).
//
// A chunk is transient: its columns are views of the caller's batch or of
// scratch buffers that the next encode call overwrites, so a sink copies what
// it keeps inside its accept() (stage.ts does; that copy is the only one).
// Encoding a 100k-socket poll allocates nothing per batch this way.

/** One column of a chunk: its Native type and its encoded values. */
export interface EncodedColumn {
  readonly name: string;
  readonly type: string;
  readonly data: Uint8Array;
}

export interface EncodedChunk {
  readonly table: string;
  readonly rows: number;
  readonly columns: readonly EncodedColumn[];
  /** min/max ts (seconds) of the rows, for the replay check query */
  readonly minTs: number;
  readonly maxTs: number;
}

export const chunkBytes = (c: EncodedChunk): number => c.columns.reduce((n, col) => n + col.data.length, 0);

/** A growable byte buffer. */
export class ByteWriter {
  buf: Buffer;
  len = 0;
  constructor(initial = 4096) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  varint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.len++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.len++] = v;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** `pattern` repeated `count` times (Buffer.fill does the repetition natively). */
  repeat(pattern: Uint8Array, count: number): void {
    const n = pattern.length * count;
    if (n === 0) return;
    this.ensure(n);
    this.buf.fill(pattern, this.len, this.len + n);
    this.len += n;
  }

  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.varint(b.length);
    this.bytes(b);
  }

  /** A copy of what was written. */
  take(): Uint8Array {
    return Uint8Array.prototype.slice.call(this.buf, 0, this.len);
  }
}

/** A Native-encoded String value: varint length + UTF-8 bytes. */
export function encodedString(s: string): Uint8Array {
  const w = new ByteWriter(s.length + 10);
  w.string(s);
  return w.take();
}

// ---- column builders -------------------------------------------------------

const FIXED_WIDTH: Record<string, number> = {
  UInt8: 1,
  UInt16: 2,
  UInt32: 4,
  UInt64: 8,
  Int64: 8,
  DateTime: 4,
  'DateTime64(9)': 8,
  'FixedString(16)': 16,
};

export function fixedWidth(type: string): number | undefined {
  return FIXED_WIDTH[type];
}

/** Reusable scratch space for transient columns, one per (slot) name: valid
 * until the next encode call that uses the same slot. */
const scratchWriters = new Map<string, ByteWriter>();
function scratch(slot: string): ByteWriter {
  let w = scratchWriters.get(slot);
  if (!w) scratchWriters.set(slot, (w = new ByteWriter(4096)));
  w.len = 0;
  return w;
}
/** `n` bytes of scratch space as a view (contents undefined) */
function scratchBytes(slot: string, n: number): Uint8Array {
  const w = scratch(slot);
  w.ensure(n);
  w.len = n;
  return w.buf.subarray(0, n);
}

/** The first `rows` values of a typed array as bytes: a view, not a copy. */
export function fixedColumn(name: string, type: string, view: ArrayBufferView, rows: number): EncodedColumn {
  const width = FIXED_WIDTH[type]!;
  return { name, type, data: new Uint8Array(view.buffer, view.byteOffset, rows * width) };
}

/** One string repeated for every row (host). Transient (scratch). */
export function constStringColumn(name: string, type: string, value: string, rows: number): EncodedColumn {
  const w = scratch(`const:${name}`);
  w.repeat(encodedString(value), rows);
  return { name, type, data: w.buf.subarray(0, w.len) };
}

/** One u64 repeated for every row (a batch id). */
export function constU64Column(name: string, value: bigint, rows: number): EncodedColumn {
  const p = new Uint8Array(8);
  new DataView(p.buffer).setBigUint64(0, value, true);
  const w = new ByteWriter(rows * 8 + 8);
  w.repeat(p, rows);
  return { name, type: 'UInt64', data: w.take() };
}

/** Dictionary ids (1-based; 0 = unknown -> '') into strings. Transient (scratch). */
export function dictStringColumn(
  name: string,
  type: string,
  ids: Uint16Array | Uint32Array,
  rows: number,
  dict: readonly string[],
): EncodedColumn {
  const enc = encodedDict(dict);
  const empty = enc[0]!;
  const w = scratch(`dict:${name}`);
  for (let i = 0; i < rows; i++) w.bytes(enc[ids[i]!] ?? empty);
  return { name, type, data: w.buf.subarray(0, w.len) };
}

/** A dictionary's strings Native-encoded ('' first), cached while the
 * dictionary only grows (the views' dictionaries are append-only). */
const dictCache = new WeakMap<readonly string[], Uint8Array[]>();
function encodedDict(dict: readonly string[]): Uint8Array[] {
  let enc = dictCache.get(dict);
  if (!enc) dictCache.set(dict, (enc = [encodedString('')]));
  for (let k = enc.length - 1; k < dict.length; k++) enc.push(encodedString(dict[k]!));
  return enc;
}

export function stringColumn(name: string, type: string, values: readonly string[], slot?: string): EncodedColumn {
  const w = slot ? scratch(slot) : new ByteWriter(values.length * 16 + 16);
  for (const v of values) w.string(v);
  return { name, type, data: slot ? w.buf.subarray(0, w.len) : w.take() };
}

/** Addresses as FixedString(16) in IPv6 form: the kernel's IPv4 layout (4 bytes
 * at the start) becomes ::ffff:a.b.c.d so IPv6NumToString and the IPv6 type read it.
 * `raw` is left alone; the result is transient (scratch). */
export function addressColumn(name: string, raw: Uint8Array, families: Uint8Array, rows: number): EncodedColumn {
  const out = scratchBytes(`addr:${name}`, rows * 16);
  out.set(raw.subarray(0, rows * 16));
  if ((out.byteOffset & 3) === 0) {
    // four u32 stores a row, not copyWithin() and fill() calls (most of the
    // column's cost at 100k IPv4 rows); little-endian: bytes 8-11 = 00 00 ff ff
    const w = new Uint32Array(out.buffer, out.byteOffset, rows * 4);
    for (let i = 0; i < rows; i++) {
      if (families[i] !== 2) continue;
      const o = i * 4;
      w[o + 3] = w[o]!;
      w[o] = 0;
      w[o + 1] = 0;
      w[o + 2] = 0xffff0000;
    }
    return { name, type: 'FixedString(16)', data: out };
  }
  for (let i = 0; i < rows; i++) {
    if (families[i] !== 2) continue;
    const o = i * 16;
    out.copyWithin(o + 12, o, o + 4);
    out.fill(0, o, o + 10);
    out[o + 10] = 0xff;
    out[o + 11] = 0xff;
  }
  return { name, type: 'FixedString(16)', data: out };
}

/** Wall seconds of a u64 ns value from its two u32 halves: a float divide,
 * exact except within a microsecond of a second boundary, where BigInt decides. */
function secondsOf(halves: Uint32Array, tsNs: BigUint64Array, i: number): number {
  const x = (halves[2 * i + 1]! * 4294967296 + halves[2 * i]!) / 1e9;
  const s = Math.floor(x);
  const frac = x - s;
  return frac > 1e-6 && frac < 1 - 1e-6 ? s : Number(tsNs[i]! / 1_000_000_000n);
}

/** ts_ns (wall ns) as DateTime (UInt32 seconds) or DateTime64(9) (the ns as they are). */
export function tsColumn(
  name: string,
  tsNs: BigUint64Array,
  rows: number,
  dateTime64: boolean,
): { col: EncodedColumn; minTs: number; maxTs: number } {
  const halves = new Uint32Array(tsNs.buffer, tsNs.byteOffset, rows * 2);
  let minTs = rows ? Infinity : 0;
  let maxTs = 0;
  const secs = dateTime64 ? null : u32Scratch(`ts:${name}`, rows);
  for (let i = 0; i < rows; i++) {
    const s = secondsOf(halves, tsNs, i);
    if (secs) secs[i] = s;
    if (s < minTs) minTs = s;
    if (s > maxTs) maxTs = s;
  }
  if (!secs) return { col: fixedColumn(name, 'DateTime64(9)', tsNs, rows), minTs, maxTs };
  return { col: { name, type: 'DateTime', data: new Uint8Array(secs.buffer, secs.byteOffset, rows * 4) }, minTs, maxTs };
}

interface TypedArrayOf<T> {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}
/** `n` elements of scratch space as a typed array (contents undefined). */
export function scratchArray<T>(slot: string, Of: TypedArrayOf<T>, n: number): T {
  const w = Of.BYTES_PER_ELEMENT;
  const b = scratchBytes(slot, n * w + w);
  const off = (w - (b.byteOffset % w)) % w;
  return new Of(b.buffer, b.byteOffset + off, n);
}

function u32Scratch(slot: string, n: number): Uint32Array {
  const b = scratchBytes(slot, n * 4 + 4);
  const off = (4 - (b.byteOffset & 3)) & 3; // Buffer pool slices need not be 4-aligned
  return new Uint32Array(b.buffer, b.byteOffset + off, n);
}

// ---- blocks ----------------------------------------------------------------

/** Merges chunks of one table (same columns, same order) into one Native
 * block, adding constant columns (the batch id) at the end. The block is
 * returned as parts (headers + the chunks' own column bytes, not copied again)
 * to be streamed to the server; concatParts() makes one buffer of them (spool). */
export function mergeToParts(
  chunks: readonly EncodedChunk[],
  extra: (rows: number) => EncodedColumn[] = () => [],
): { parts: Uint8Array[]; bytes: number; rows: number; columns: string[] } {
  const rows = chunks.reduce((n, c) => n + c.rows, 0);
  const first = chunks[0]!;
  const extras = extra(rows);
  const parts: Uint8Array[] = [];
  const head = new ByteWriter(32);
  head.varint(first.columns.length + extras.length);
  head.varint(rows);
  parts.push(head.take());
  const columnHead = (col: EncodedColumn): void => {
    const w = new ByteWriter(col.name.length + col.type.length + 4);
    w.string(col.name);
    w.string(col.type);
    parts.push(w.take());
  };
  first.columns.forEach((col, k) => {
    columnHead(col);
    for (const c of chunks) {
      const cc = c.columns[k]!;
      if (cc.name !== col.name) throw new Error(`chunk columns differ for ${first.table}: ${cc.name} vs ${col.name}`);
      parts.push(cc.data);
    }
  });
  for (const col of extras) {
    columnHead(col);
    parts.push(col.data);
  }
  const bytes = parts.reduce((n, p) => n + p.length, 0);
  return { parts, bytes, rows, columns: [...first.columns.map((c) => c.name), ...extras.map((c) => c.name)] };
}

export const concatParts = (parts: readonly Uint8Array[]): Buffer => Buffer.concat(parts);

/** mergeToParts as one buffer. */
export function mergeToBlock(
  chunks: readonly EncodedChunk[],
  extra?: (rows: number) => EncodedColumn[],
): { block: Buffer; rows: number; columns: string[] } {
  const m = mergeToParts(chunks, extra);
  return { block: concatParts(m.parts), rows: m.rows, columns: m.columns };
}

// ---- decoding (the file sink's readers, tests) -------------------------------

export type DecodedValue = number | bigint | string | Uint8Array;

/** A read position in Native bytes: LEB128 varints and length-prefixed strings. */
export class NativeCursor {
  p = 0;
  constructor(private readonly buf: Uint8Array) {}
  varint(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = this.buf[this.p++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  }
  str(): string {
    const n = this.varint();
    const s = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.p, n).toString('utf8');
    this.p += n;
    return s;
  }
}

/** Decodes a stream of Native blocks of the types the encoders emit into rows. */
export function decodeBlocks(buf: Uint8Array): Array<Record<string, DecodedValue>> {
  const out: Array<Record<string, DecodedValue>> = [];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const cur = new NativeCursor(buf);
  while (cur.p < buf.length) {
    const ncols = cur.varint();
    const nrows = cur.varint();
    const base = out.length;
    for (let i = 0; i < nrows; i++) out.push({});
    for (let c = 0; c < ncols; c++) {
      const name = cur.str();
      const type = cur.str().replace(/^LowCardinality\((.*)\)$/, '$1');
      for (let i = 0; i < nrows; i++) {
        let v: DecodedValue;
        switch (type) {
          case 'UInt8':
            v = buf[cur.p]!;
            cur.p += 1;
            break;
          case 'UInt16':
            v = dv.getUint16(cur.p, true);
            cur.p += 2;
            break;
          case 'UInt32':
          case 'DateTime':
            v = dv.getUint32(cur.p, true);
            cur.p += 4;
            break;
          case 'UInt64':
            v = dv.getBigUint64(cur.p, true);
            cur.p += 8;
            break;
          case 'Int64':
          case 'DateTime64(9)':
            v = dv.getBigInt64(cur.p, true);
            cur.p += 8;
            break;
          case 'FixedString(16)':
            v = buf.slice(cur.p, cur.p + 16);
            cur.p += 16;
            break;
          case 'String':
            v = cur.str();
            break;
          default:
            throw new Error(`decodeBlocks: unsupported type ${type}`);
        }
        out[base + i]![name] = v;
      }
    }
  }
  return out;
}
