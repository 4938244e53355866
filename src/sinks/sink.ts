// The interface `tcplens run` writes through, whatever the destination
// (ClickHouse, stdout ndjson, a protobuf file). Every write* call encodes at
// once into what the sink keeps (its copy), so the caller may reuse its batch right after.
// Writes never throw for overload: what cannot be kept is dropped and counted.
import * as os from 'os';
import type { ColumnBatch } from '../layout/batch';
import type { FlowRow } from '../correlate/flow_row';
import type { Dialect } from './clickhouse/dialect';
import type { EncodedChunk } from './clickhouse/native_format';
import {
  encodeCoverage, encodeEvents, encodeFlows, encodeOwners, encodePollCycles, encodeSamples, encodeSnapshots,
} from './clickhouse/encoders';
import type { CoverageRow, PollCycleRow, SnapshotContext } from './rows';
import { newCounters, type SinkStats, type TableCounters } from './stats';

export interface Sink {
  /** connects / opens; must be awaited before writing */
  start(): Promise<void>;
  /** a poll or destroy batch; ctx.names = the namespace's cong names (PollSource BatchContext) */
  writeSnapshots(batch: ColumnBatch, ctx: SnapshotContext): void;
  /** an events batch (TL_EVENT_COLUMNS) with the comm dictionary */
  writeEvents(batch: ColumnBatch, comms: readonly string[]): void;
  /** a task-samples batch (TL_SAMPLE_COLUMNS) */
  writeSamples(batch: ColumnBatch, comms: readonly string[]): void;
  /** a socket-owners batch (TL_OWNER_COLUMNS), all taken at tsNs */
  writeOwners(batch: ColumnBatch, comms: readonly string[], tsNs: bigint): void;
  writeFlows(rows: readonly FlowRow[]): void;
  writePollCycles(rows: readonly PollCycleRow[]): void;
  writeCoverage(rows: readonly CoverageRow[]): void;
  /** writes (or spools) everything accepted so far; resolves within timeoutMs */
  flush(timeoutMs?: number): Promise<void>;
  /** flush, then release everything (SIGTERM path). Idempotent. */
  close(timeoutMs?: number): Promise<void>;
  stats(): SinkStats;
}

/** Encodes every write into an EncodedChunk and hands it to accept(). */
export abstract class ChunkSink implements Sink {
  protected readonly counters: Record<string, TableCounters> = {};
  protected abstract dialect: Dialect;

  constructor(readonly host: string = os.hostname()) {}

  abstract start(): Promise<void>;
  abstract flush(timeoutMs?: number): Promise<void>;
  abstract close(timeoutMs?: number): Promise<void>;
  abstract stats(): SinkStats;
  protected abstract accept(chunk: EncodedChunk): void;

  protected table(name: string): TableCounters {
    return (this.counters[name] ??= newCounters());
  }

  /** the dialect chunks are encoded for: known once start() resolved */
  private get d(): Dialect {
    if (!this.dialect) throw new Error(`${this.constructor.name}: await start() before writing`);
    return this.dialect;
  }

  private put(chunk: EncodedChunk): void {
    if (chunk.rows === 0) return;
    const c = this.table(chunk.table);
    c.rows_queued += chunk.rows;
    c.batches_queued++;
    this.accept(chunk);
  }

  writeSnapshots(batch: ColumnBatch, ctx: SnapshotContext): void { this.put(encodeSnapshots(batch, ctx, this.host, this.d)); }
  writeEvents(batch: ColumnBatch, comms: readonly string[]): void { this.put(encodeEvents(batch, comms, this.host, this.d)); }
  writeSamples(batch: ColumnBatch, comms: readonly string[]): void { this.put(encodeSamples(batch, comms, this.host, this.d)); }
  writeOwners(batch: ColumnBatch, comms: readonly string[], tsNs: bigint): void { this.put(encodeOwners(batch, comms, tsNs, this.host, this.d)); }
  writeFlows(rows: readonly FlowRow[]): void { this.put(encodeFlows(rows, this.host, this.d)); }
  writePollCycles(rows: readonly PollCycleRow[]): void { this.put(encodePollCycles(rows, this.host, this.d)); }
  writeCoverage(rows: readonly CoverageRow[]): void { this.put(encodeCoverage(rows, this.host, this.d)); }
}
