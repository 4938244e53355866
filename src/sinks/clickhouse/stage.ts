// Column-major staging of one table's rows until its batch is sealed. Each
// transient chunk (native_format.ts) is copied, column by column, onto the end
// of that column's buffer: the one copy of the data between the kernel's
// batch and the socket to ClickHouse. A sealed batch is a Native block as a
// list of buffers (block header, then per column its name/type head and its
// values), streamed as it is. The buffers come from a pool and return to it
// once the batch is written or spooled, so a steady state allocates nothing
// per batch (at 100k sockets a fresh 8 MiB per batch was most of the GC).
import { ByteWriter, encodedString, type EncodedChunk } from './native_format';

export interface StagedBatch {
  table: string;
  rows: number;
  /** the INSERT's column list */
  columns: string[];
  /** block header, then one buffer per column (head + values) */
  parts: Uint8Array[];
  bytes: number;
  minTs: number;
  maxTs: number;
  /** hands the buffers back to the pool: call once the parts are no longer needed */
  release(): void;
}

/** Free buffer sets per table; at most `keep` each (the rest is left to GC,
 * where it waits for a full collection: a burst of those is worse than keeping
 * them; the sink counts what is kept in its memory bound and clears it there). Sets are as large as their table's last batch needed (TableStage). */
export class StagePool {
  private readonly free = new Map<string, ByteWriter[][]>();
  private held = 0;
  constructor(readonly keep = 1) {
    detachOnce();
  }

  /** lets go of every free set (the sink is at its memory bound) */
  clear(): void {
    for (const list of this.free.values()) for (const set of list) letGo(set);
    this.free.clear();
    this.held = 0;
  }

  /** A set of n buffers: a free one of the table's, else new ones of `sizes` bytes (at least 4 KiB each). */
  take(table: string, n: number, sizes: readonly number[] = []): ByteWriter[] {
    const set = this.free.get(table)?.pop();
    if (set) {
      this.held -= setBytes(set);
      if (set.length === n) return set;
    }
    return Array.from({ length: n }, (_, k) => new ByteWriter(Math.max(4096, sizes[k] ?? 0)));
  }

  give(table: string, set: ByteWriter[]): void {
    let list = this.free.get(table);
    if (!list) this.free.set(table, (list = []));
    if (list.length >= this.keep) return letGo(set);
    for (const w of set) w.len = 0;
    list.push(set);
    this.held += setBytes(set);
  }

  /** bytes held by free sets (for tests and stats) */
  get bytes(): number {
    return this.held;
  }
}

/** Frees a set's buffers at the next scavenge instead of the next full GC:
 * each ArrayBuffer is moved (transferred) into a new one nobody holds, which
 * dies young. A batch's buffers live long enough to be promoted, and V8 sweeps
 * old ArrayBuffers only in a full collection, which it starts ~64 MB of
 * external memory later: in a burst, 4 MiB sets let go by the pool and the
 * memory bound were most of the ArrayBuffers at the peak (bench/burst). Only
 * for buffers no view is read from any more (a released batch, a cleared pool). */
function letGo(set: readonly ByteWriter[]): void {
  for (const w of set) {
    const ab = w.buf.buffer;
    if (w.buf.byteOffset !== 0 || ab.byteLength !== w.buf.length) continue; // a slice of Node's pool
    structuredClone(ab, { transfer: [ab as ArrayBuffer] });
  }
}

/** The process's first detached ArrayBuffer makes V8 throw away every
 * optimized function that reads a typed array (its ArrayBufferDetaching
 * protector): ~50 of them, recompiled in cycle 2 when letGo() first ran there.
 * Detaching an empty buffer when the pool is made, before the hot paths are
 * optimized, compiles them once with the detach checks they keep anyway. */
let detached = false;
function detachOnce(): void {
  if (detached) return;
  detached = true;
  const ab = new ArrayBuffer(0);
  structuredClone(ab, { transfer: [ab] });
}

const setBytes = (set: readonly ByteWriter[]): number => set.reduce((n, w) => n + w.buf.length, 0);

/** One table's open batch. */
export class TableStage {
  rows = 0;
  bytes = 0;
  minTs = Infinity;
  maxTs = 0;
  /** Date.now() of the first row (age-based sealing) */
  since = 0;
  private names: string[] = [];
  private heads: Uint8Array[] = [];
  private set: ByteWriter[] | null = null;
  /** each column's bytes in the last sealed batch: a new set's buffers start that size (no doubling on the way) */
  private lastLens: number[] = [];

  constructor(
    readonly table: string,
    private readonly pool: StagePool,
  ) {}

  /** Copies a chunk's columns onto the staged ones. */
  append(chunk: EncodedChunk): void {
    if (chunk.rows === 0) return;
    const cols = chunk.columns;
    if (!this.set) this.open(chunk);
    if (cols.length !== this.names.length)
      throw new Error(`chunk columns differ for ${this.table}: ${cols.length} vs ${this.names.length}`);
    const set = this.set!;
    for (let k = 0; k < cols.length; k++) {
      const c = cols[k]!;
      if (c.name !== this.names[k]) throw new Error(`chunk columns differ for ${this.table}: ${c.name} vs ${this.names[k]}`);
      set[k]!.bytes(c.data);
      this.bytes += c.data.length;
    }
    if (this.rows === 0) this.since = Date.now();
    this.rows += chunk.rows;
    if (chunk.minTs < this.minTs) this.minTs = chunk.minTs;
    if (chunk.maxTs > this.maxTs) this.maxTs = chunk.maxTs;
  }

  /** The staged rows as a Native block with `extra` constant columns appended
   * (each an encoded name/type head plus a value pattern repeated per row);
   * the stage is empty afterwards. */
  seal(extra: ReadonlyArray<{ name: string; type: string; value: Uint8Array }> = []): StagedBatch {
    const set = this.set!;
    const rows = this.rows;
    this.lastLens = set.map((w) => w.len);
    const extras = this.pool.take(`${this.table}+extra`, extra.length);
    extra.forEach((e, k) => {
      const w = extras[k]!;
      w.string(e.name);
      w.string(e.type);
      w.repeat(e.value, rows);
    });
    const header = new ByteWriter(32);
    header.varint(this.names.length + extra.length);
    header.varint(rows);
    const parts = [
      header.buf.subarray(0, header.len),
      ...set.map((w) => w.buf.subarray(0, w.len)),
      ...extras.map((w) => w.buf.subarray(0, w.len)),
    ];
    const table = this.table;
    const pool = this.pool;
    let released = false;
    const batch: StagedBatch = {
      table,
      rows,
      parts,
      columns: [...this.names, ...extra.map((e) => e.name)],
      bytes: parts.reduce((n, p) => n + p.length, 0),
      minTs: this.minTs === Infinity ? 0 : this.minTs,
      maxTs: this.maxTs,
      release: () => {
        if (released) return;
        released = true;
        pool.give(table, set);
        pool.give(`${table}+extra`, extras);
      },
    };
    this.set = null;
    this.rows = 0;
    this.bytes = 0;
    this.minTs = Infinity;
    this.maxTs = 0;
    return batch;
  }

  /** a fresh buffer set, each column's buffer starting with its head */
  private open(chunk: EncodedChunk): void {
    if (this.names.length === 0) {
      this.names = chunk.columns.map((c) => c.name);
      this.heads = chunk.columns.map((c) => Buffer.concat([encodedString(c.name), encodedString(c.type)]));
    }
    this.set = this.pool.take(
      this.table,
      this.names.length,
      this.lastLens.map((n) => n + (n >> 3)),
    );
    this.set.forEach((w, k) => w.bytes(this.heads[k]!));
  }
}
