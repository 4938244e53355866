// Per-table staging of encoded chunks until a batch is due: by rows, by bytes
// (checked on every add) or by age (the sink's timer, set for nextDueAt()). The age a
// batch may reach is maxAgeMs plus a random share of jitterMs, drawn when its
// first row arrives: hosts started together (a rollout) then do not flush in
// step into the same shard.
import type { EncodedChunk } from './native_format';
import { StagePool, TableStage } from './stage';

export interface BatchLimits {
  maxRows: number;
  maxBytes: number;
  maxAgeMs: number;
  /** each batch waits maxAgeMs + U(0, jitterMs) (default 0) */
  jitterMs?: number;
}

export class Batcher {
  private readonly stages = new Map<string, TableStage>();
  readonly pool = new StagePool();
  /** when each open batch is due by age */
  private readonly dueAt = new Map<TableStage, number>();
  constructor(
    readonly limits: BatchLimits,
    private readonly random: () => number = Math.random,
  ) {}

  /** copies a chunk into its table's stage; returns the stage when its batch is full */
  add(chunk: EncodedChunk): TableStage | null {
    let st = this.stages.get(chunk.table);
    if (!st) this.stages.set(chunk.table, (st = new TableStage(chunk.table, this.pool)));
    if (st.rows === 0) this.dueAt.set(st, Date.now() + this.limits.maxAgeMs + this.random() * (this.limits.jitterMs ?? 0));
    st.append(chunk);
    return st.rows >= this.limits.maxRows || st.bytes >= this.limits.maxBytes ? st : null;
  }

  /** stages with rows older than maxAge (or all with rows, for flush) */
  due(all = false): TableStage[] {
    const now = Date.now();
    const out: TableStage[] = [];
    for (const st of this.stages.values()) {
      if (st.rows > 0 && (all || now >= (this.dueAt.get(st) ?? 0))) out.push(st);
    }
    return out;
  }

  /** when the oldest staged batch is due by age (Date.now() ms), null when none is staged */
  nextDueAt(): number | null {
    let at: number | null = null;
    for (const st of this.stages.values()) {
      const d = this.dueAt.get(st);
      if (st.rows > 0 && d !== undefined && (at === null || d < at)) at = d;
    }
    return at;
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
