// --sink file:PATH: every chunk appended to PATH as a length-delimited
// NativeBatch (proto/tcplens.proto), the spool's own format, so a file can be
// loaded into ClickHouse later (each record is one INSERT ... FORMAT Native).
import * as fs from 'fs';
import { ChunkSink } from './clickhouse/chunk_sink';
import { plainSinkStats, type SinkStats } from './stats';
import { LEGACY, type Dialect } from './clickhouse/dialect';
import { mergeToBlock, type EncodedChunk } from './clickhouse/native_format';
import { decodeRecords, encodeRecord, type NativeBatchRecord } from './clickhouse/spool_record';
import { TcplensError } from '../util/errors';

export class FileSink extends ChunkSink {
  readonly kind = 'file';

  private fd: number | null = null;
  private seq = 0n;
  private bytes = 0;

  /** dialect: the ClickHouse the file's Native blocks are for (loaded later with INSERT ... FORMAT Native) */
  constructor(
    readonly path: string,
    host?: string,
    protected readonly dialect: Dialect = LEGACY,
  ) {
    super(host);
  }

  async start(): Promise<void> {
    try {
      this.fd = fs.openSync(this.path, 'a');
    } catch (e) {
      throw new TcplensError('EUSAGE', `--sink file:${this.path}: cannot open: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
    // continue the sequence of what the file already holds
    const { records } = decodeRecords(fs.readFileSync(this.path));
    this.seq = records.reduce((m, r) => (r.seq > m ? r.seq : m), 0n);
  }

  protected accept(chunk: EncodedChunk): void {
    const c = this.table(chunk.table);
    if (this.fd === null) {
      c.rows_dropped += chunk.rows;
      c.batches_dropped++;
      return;
    }
    const { block, rows, columns } = mergeToBlock([chunk]);
    const buf = encodeRecord({
      seq: ++this.seq,
      table: chunk.table,
      rows,
      columns,
      native: block,
      batchId: this.seq,
      minTs: chunk.minTs,
      maxTs: chunk.maxTs,
      maybeLanded: false,
      createdNs: BigInt(Date.now()) * 1_000_000n,
    });
    fs.writeSync(this.fd, buf);
    this.bytes += buf.length;
    c.rows_written += rows;
    c.batches_written++;
  }

  async flush(): Promise<void> {
    if (this.fd !== null) fs.fsyncSync(this.fd);
  }

  async close(): Promise<void> {
    if (this.fd === null) return;
    await this.flush();
    fs.closeSync(this.fd);
    this.fd = null;
  }

  stats(): SinkStats {
    return plainSinkStats(this.kind, this.counters, { bytes: this.bytes, batches: Number(this.seq) });
  }
}

/** Every record of a file written by FileSink (or a spool segment). */
export function readSinkFile(path: string): NativeBatchRecord[] {
  return decodeRecords(fs.readFileSync(path)).records;
}
