// --sink stdout: one JSON object per row ({"table": ..., columns...}), for
// users without ClickHouse. Rows are decoded from the same Native chunks the
// ClickHouse sink sends, so both show the same columns under the same names.
import { ChunkSink } from './sink';
import { LatencyHistogram, type SinkStats } from './stats';
import { LEGACY, type Dialect } from './clickhouse/dialect';
import { decodeBlocks, mergeToBlock, type DecodedValue, type EncodedChunk } from './clickhouse/native_format';
import { formatAddress } from '../format/address';
import { Output } from '../util/output';

const V4_MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** JSON value of a decoded cell: u64 past 2^53 as a decimal string, addresses as text */
function jsonValue(v: DecodedValue): string | number {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) {
    return V4_MAPPED.every((b, i) => v[i] === b) ? formatAddress(2, v.subarray(12)) : formatAddress(10, v);
  }
  return v;
}

export class StdoutSink extends ChunkSink {
  readonly kind = 'stdout';
  protected dialect: Dialect = LEGACY;
  private readonly out: Output;
  private chain: Promise<void> = Promise.resolve();

  constructor(host?: string, stream: NodeJS.WritableStream = process.stdout) {
    super(host);
    this.out = new Output(stream as never);
  }

  async start(): Promise<void> { /* nothing to connect */ }

  protected accept(chunk: EncodedChunk): void {
    const { block } = mergeToBlock([chunk]);
    let text = '';
    for (const row of decodeBlocks(block)) {
      const o: Record<string, string | number> = { table: chunk.table };
      for (const [k, v] of Object.entries(row)) o[k] = k === 'ts' ? new Date(Number(v) * 1000).toISOString() : jsonValue(v);
      text += `${JSON.stringify(o)}\n`;
    }
    const c = this.table(chunk.table);
    this.chain = this.chain.then(() => this.out.write(text)).then(() => { c.rows_written += chunk.rows; c.batches_written++; });
  }

  async flush(): Promise<void> { await this.chain; await this.out.flush(); }
  async close(): Promise<void> { await this.flush(); }

  stats(): SinkStats {
    return { kind: this.kind, tables: JSON.parse(JSON.stringify(this.counters)) as SinkStats['tables'], queue_rows: 0, queue_bytes: 0, spool_bytes: 0, spool_batches: 0, outage: false, insert_latency: new LatencyHistogram().snapshot() };
  }
}
