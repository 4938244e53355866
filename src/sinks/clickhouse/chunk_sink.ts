// The base of the sinks that write ClickHouse Native blocks (the ClickHouse
// sink, and the file sink, whose records are the spool's): every write is
// encoded at once into an EncodedChunk for its table, in the sink's dialect,
// and handed to accept().
import * as os from 'os';
import type { ColumnBatch } from '../../layout/batch';
import type { FlowRow } from '../../correlate/flow_row';
import type { Sink } from '../sink';
import type { CoverageRow, PollCycleRow, SnapshotContext } from '../rows';
import { COVERAGE, FLOWS, POLL_CYCLES, eventsTable, ownersTable, samplesTable, snapshotsTable } from '../tables';
import { newCounters, type SinkStats, type TableCounters } from '../stats';
import type { Dialect } from './dialect';
import type { EncodedChunk } from './native_format';
import { encodeBatch, encodeRowTable } from './encoders';

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

  protected put(chunk: EncodedChunk): void {
    if (chunk.rows === 0) return;
    const c = this.table(chunk.table);
    c.rows_queued += chunk.rows;
    c.batches_queued++;
    this.accept(chunk);
  }

  writeSnapshots(batch: ColumnBatch, ctx: SnapshotContext): void {
    this.put(encodeBatch(batch, snapshotsTable(ctx), this.host, this.d));
  }
  writeEvents(batch: ColumnBatch, comms: readonly string[]): void {
    this.put(encodeBatch(batch, eventsTable(comms), this.host, this.d));
  }
  writeSamples(batch: ColumnBatch, comms: readonly string[]): void {
    this.put(encodeBatch(batch, samplesTable(comms), this.host, this.d));
  }
  writeOwners(batch: ColumnBatch, comms: readonly string[], tsNs: bigint): void {
    this.put(encodeBatch(batch, ownersTable(comms, tsNs), this.host, this.d));
  }
  writeFlows(rows: readonly FlowRow[]): void {
    this.put(encodeRowTable(rows, FLOWS, this.host, this.d));
  }
  writePollCycles(rows: readonly PollCycleRow[]): void {
    this.put(encodeRowTable(rows, POLL_CYCLES, this.host, this.d));
  }
  writeCoverage(rows: readonly CoverageRow[]): void {
    this.put(encodeRowTable(rows, COVERAGE, this.host, this.d));
  }
}
