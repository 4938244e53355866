// Per-table accumulation of encoded chunks until a batch is due: by rows, by
// bytes (checked on every add) or by age (checked by the sink's timer).
import { chunkBytes, type EncodedChunk } from './native_format';

export interface BatchLimits {
  maxRows: number;
  maxBytes: number;
  maxAgeMs: number;
}

export interface Pending { table: string; chunks: EncodedChunk[]; rows: number; bytes: number; since: number }

export class Batcher {
  private readonly pending = new Map<string, Pending>();
  constructor(readonly limits: BatchLimits) {}

  /** adds a chunk; returns the table's pending batch when it is full */
  add(chunk: EncodedChunk): Pending | null {
    let p = this.pending.get(chunk.table);
    if (!p) { p = { table: chunk.table, chunks: [], rows: 0, bytes: 0, since: Date.now() }; this.pending.set(chunk.table, p); }
    p.chunks.push(chunk);
    p.rows += chunk.rows;
    p.bytes += chunkBytes(chunk);
    if (p.rows >= this.limits.maxRows || p.bytes >= this.limits.maxBytes) { this.pending.delete(chunk.table); return p; }
    return null;
  }

  /** batches older than maxAge (or all, for flush) */
  due(all = false): Pending[] {
    const now = Date.now();
    const out: Pending[] = [];
    for (const [t, p] of this.pending) {
      if (all || now - p.since >= this.limits.maxAgeMs) { out.push(p); this.pending.delete(t); }
    }
    return out;
  }

  get rows(): number { let n = 0; for (const p of this.pending.values()) n += p.rows; return n; }
  get bytes(): number { let n = 0; for (const p of this.pending.values()) n += p.bytes; return n; }
}
