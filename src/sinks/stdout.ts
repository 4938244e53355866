// --sink stdout: one JSON object per row ({"table": ..., columns...}), for
// users without ClickHouse, read from the column batches as they come
// (src/sinks/json_rows.ts): the same columns under the same names as the
// ClickHouse tables.
import * as os from 'os';
import type { ColumnBatch } from '../layout/batch';
import type { FlowRow } from '../correlate/flow_row';
import type { Sink } from './sink';
import type { CoverageRow, PollCycleRow, SnapshotContext } from './rows';
import { COVERAGE, FLOWS, POLL_CYCLES, eventsTable, ownersTable, samplesTable, snapshotsTable } from './tables';
import { batchRows, tableRows, type JsonRow } from './json_rows';
import { newCounters, plainSinkStats, type SinkStats, type TableCounters } from './stats';
import { Output } from '../util/output';

export class StdoutSink implements Sink {
  readonly kind = 'stdout';
  private readonly out: Output;
  private readonly counters: Record<string, TableCounters> = {};
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly host: string = os.hostname(),
    stream: NodeJS.WritableStream = process.stdout,
  ) {
    this.out = new Output(stream as never);
  }

  async start(): Promise<void> {
    /* nothing to connect */
  }

  /** The rows are turned into text at once (the batch may be reused), written in order. */
  private put(table: string, rows: JsonRow[]): void {
    if (!rows.length) return;
    const c = (this.counters[table] ??= newCounters());
    c.rows_queued += rows.length;
    c.batches_queued++;
    const text = rows.map((r) => `${JSON.stringify(r)}\n`).join('');
    this.chain = this.chain
      .then(() => this.out.write(text))
      .then(() => {
        c.rows_written += rows.length;
        c.batches_written++;
      });
  }

  writeSnapshots(b: ColumnBatch, ctx: SnapshotContext): void {
    const t = snapshotsTable(ctx);
    this.put(t.table, batchRows(b, t, this.host));
  }
  writeEvents(b: ColumnBatch, comms: readonly string[]): void {
    const t = eventsTable(comms);
    this.put(t.table, batchRows(b, t, this.host));
  }
  writeSamples(b: ColumnBatch, comms: readonly string[]): void {
    const t = samplesTable(comms);
    this.put(t.table, batchRows(b, t, this.host));
  }
  writeOwners(b: ColumnBatch, comms: readonly string[], tsNs: bigint): void {
    const t = ownersTable(comms, tsNs);
    this.put(t.table, batchRows(b, t, this.host));
  }
  writeFlows(rows: readonly FlowRow[]): void {
    this.put(FLOWS.table, tableRows(rows, FLOWS, this.host));
  }
  writePollCycles(rows: readonly PollCycleRow[]): void {
    this.put(POLL_CYCLES.table, tableRows(rows, POLL_CYCLES, this.host));
  }
  writeCoverage(rows: readonly CoverageRow[]): void {
    this.put(COVERAGE.table, tableRows(rows, COVERAGE, this.host));
  }

  async flush(): Promise<void> {
    await this.chain;
    await this.out.flush();
  }
  async close(): Promise<void> {
    await this.flush();
  }

  stats(): SinkStats {
    return plainSinkStats(this.kind, this.counters);
  }
}
