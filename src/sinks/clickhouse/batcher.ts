// Per-table staging of encoded chunks until a batch is due: by rows, by bytes
// (checked on every add) or by age (checked by the sink's timer).
import type { EncodedChunk } from './native_format';
import { StagePool, TableStage } from './stage';

export interface BatchLimits {
  maxRows: number;
  maxBytes: number;
  maxAgeMs: number;
}

export class Batcher {
  private readonly stages = new Map<string, TableStage>();
  readonly pool = new StagePool();
  constructor(readonly limits: BatchLimits) {}

  /** copies a chunk into its table's stage; returns the stage when its batch is full */
  add(chunk: EncodedChunk): TableStage | null {
    let st = this.stages.get(chunk.table);
    if (!st) this.stages.set(chunk.table, (st = new TableStage(chunk.table, this.pool)));
    st.append(chunk);
    return st.rows >= this.limits.maxRows || st.bytes >= this.limits.maxBytes ? st : null;
  }

  /** stages with rows older than maxAge (or all with rows, for flush) */
  due(all = false): TableStage[] {
    const now = Date.now();
    const out: TableStage[] = [];
    for (const st of this.stages.values()) {
      if (st.rows > 0 && (all || now - st.since >= this.limits.maxAgeMs)) out.push(st);
    }
    return out;
  }

  get rows(): number {
    let n = 0;
    for (const st of this.stages.values()) n += st.rows;
    return n;
  }
  get bytes(): number {
    let n = 0;
    for (const st of this.stages.values()) n += st.bytes;
    return n;
  }
}
