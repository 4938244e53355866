// The interface `tcplens run` writes through, whatever the destination
// (ClickHouse, stdout ndjson, a protobuf file): the views' column batches and
// the plain rows of src/sinks/rows.ts, for the tables of src/sinks/tables.ts.
// Every write* call copies at once what the sink keeps, so the caller may
// reuse its batch right after. Writes never throw for overload: what cannot
// be kept is dropped and counted.
import type { ColumnBatch } from '../layout/batch';
import type { FlowRow } from '../correlate/flow_row';
import type { CoverageRow, PollCycleRow, SnapshotContext } from './rows';
import type { SinkStats } from './stats';

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
  /** Backpressure: null while the sink has room; else a promise that resolves
   * once it has (or after its time limit). A producer that can pause (the
   * poll, between two batches of a dump) awaits it; none is required to. */
  room?(): Promise<void> | null;
  /** writes (or spools) everything accepted so far; resolves within timeoutMs */
  flush(timeoutMs?: number): Promise<void>;
  /** flush, then release everything (SIGTERM path). Idempotent. */
  close(timeoutMs?: number): Promise<void>;
  stats(): SinkStats;
}
