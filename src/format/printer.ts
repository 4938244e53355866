// Prints poll-layout batches in the CLI formats. One printer per command;
// json wraps each period's records in one array, the others stream.
import type { PollBatch } from '../layout/batch';
import type { BatchContext } from '../sources/poll';
import { rowToRecord } from './record';
import { tableHeader, tableRow } from './table';
import type { Output } from '../util/output';

export type Format = 'table' | 'json' | 'ndjson' | 'none';

export class BatchPrinter {
  private first = true;

  /** tagView: add "view": "poll" | "destroy" to each record (several views in one stream) */
  constructor(
    private readonly out: Output,
    readonly format: Format,
    private readonly tagView: boolean,
  ) {}

  async begin(): Promise<void> {
    this.first = true;
    if (this.format === 'table') await this.out.write(`${tableHeader()}\n`);
    if (this.format === 'json') await this.out.write('[');
  }

  async batch(b: PollBatch, ctx: BatchContext, view: string): Promise<void> {
    if (this.format === 'none') return;
    for (let i = 0; i < b.rows; i++) {
      const rec = rowToRecord(b, i, { netns: ctx.ns.name, names: ctx.names });
      const tagged = this.tagView ? { view, ...rec } : rec;
      if (this.format === 'table') await this.out.write(`${tableRow(tagged)}${this.tagView && view !== 'poll' ? ` [${view}]` : ''}\n`);
      else if (this.format === 'ndjson') await this.out.write(`${JSON.stringify(tagged)}\n`);
      else {
        await this.out.write(`${this.first ? '\n' : ',\n'}${JSON.stringify(tagged)}`);
        this.first = false;
      }
    }
  }

  /** A line outside any record list (the --format none summary). */
  async line(text: string): Promise<void> {
    await this.out.write(`${text}\n`);
    await this.out.flush();
  }

  async flush(): Promise<void> {
    await this.out.flush();
  }

  async end(): Promise<void> {
    if (this.format === 'json') await this.out.write(this.first ? ']\n' : '\n]\n');
    await this.out.flush();
  }
}
