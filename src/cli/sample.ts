// tcplens sample: the samples view on the command line, like xcapture: what
// every active thread is doing, F times a second, and the TCP socket it is
// blocked on; --owners prints which process owns each TCP socket instead.
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { SampleSource } from '../sources/samples';
import type { SampleBatch, OwnerBatch } from '../layout/sample_columns';
import { ownerToRecord, sampleToRecord, type SampleRecord } from '../format/sample_record';
import { ownerHeader, ownerRow, sampleHeader, sampleRow } from '../format/sample_table';
import { Output } from '../util/output';
import { startOrSay, usage } from '../util/errors';

type Format = 'table' | 'json' | 'ndjson';

interface SampleArgs {
  frequency: number;
  iterations?: number;
  all?: boolean;
  pid?: number;
  format: Format;
  owners?: boolean;
  batchRows: number;
}

export const command = 'sample';
export const describe = 'Sample what every thread is doing (eBPF task iterator, like xcapture), or who owns each TCP socket';

export const builder = (y: Argv): Argv<SampleArgs> =>
  y
    .option('frequency', { alias: 'F', type: 'number', default: 1, describe: 'samples per second (like xcapture -F)' })
    .option('iterations', {
      alias: 'i',
      type: 'number',
      describe: 'stop after N samples, as xcapture -i does (-F 10 -i 50 runs 5 s); default: until Ctrl-C',
    })
    .option('all', {
      alias: 'a',
      type: 'boolean',
      describe: 'every thread; default: active ones only (on a CPU, runnable, in D state, or blocked on a TCP socket)',
    })
    .option('pid', { alias: 'p', type: 'number', describe: 'only this process (tgid); filtered in the kernel' })
    .option('format', {
      choices: ['table', 'json', 'ndjson'] as const,
      default: 'table' as Format,
      describe: 'table: one line per thread (ST "+" = on a CPU); json: one array per sample; ndjson: one object per thread',
    })
    .option('owners', { type: 'boolean', describe: 'print the TCP socket -> process map (one task_file pass) instead of samples' })
    .option('batch-rows', { type: 'number', default: 1024, describe: 'rows per native batch' })
    .example('$0 sample -F 10 -i 5', 'five samples, 100 ms apart, of the active threads')
    .example('$0 sample --all --pid 1234 --format ndjson', 'every thread of process 1234, one JSON object each, once a second')
    .example(
      '$0 sample --owners --format json',
      'which process owns each TCP socket (join on idiag_inode / idiag_cookie)',
    ) as unknown as Argv<SampleArgs>;

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/** Prints records as table lines, a JSON array per pass, or NDJSON. */
class RecordPrinter {
  private first = true;
  constructor(
    private readonly out: Output,
    private readonly format: Format,
    private readonly header: () => string,
    private readonly row: (r: SampleRecord) => string,
  ) {}

  async begin(withHeader: boolean): Promise<void> {
    this.first = true;
    if (this.format === 'table' && withHeader) await this.out.write(`${this.header()}\n`);
    if (this.format === 'json') await this.out.write('[');
  }

  async record(r: SampleRecord): Promise<void> {
    if (this.format === 'table') await this.out.write(`${this.row(r)}\n`);
    else if (this.format === 'ndjson') await this.out.write(`${JSON.stringify(r)}\n`);
    else {
      await this.out.write(`${this.first ? '\n' : ',\n'}${JSON.stringify(r)}`);
      this.first = false;
    }
  }

  async end(): Promise<void> {
    if (this.format === 'json') await this.out.write(this.first ? ']\n' : '\n]\n');
    await this.out.flush();
  }
}

/** Every flag of `tcplens sample` checked, before anything starts. */
export function validate(args: SampleArgs): void {
  if (!(args.frequency > 0 && args.frequency <= 1000)) throw usage('-F/--frequency: between 0 and 1000 samples per second');
  if (args.iterations !== undefined && !(Number.isInteger(args.iterations) && args.iterations >= 1))
    throw usage('-i/--iterations: a whole number, at least 1');
  if (args.pid !== undefined && !(Number.isInteger(args.pid) && args.pid >= 1 && args.pid < 2 ** 32)) throw usage('--pid: a process id');
  if (!(Number.isInteger(args.batchRows) && args.batchRows >= 1 && args.batchRows <= 1 << 20))
    throw usage('--batch-rows: between 1 and 1048576');
}

export async function runSample(args: SampleArgs): Promise<number> {
  validate(args);
  const source = new SampleSource({ pid: args.pid, all: args.all, batchRows: args.batchRows });
  if (!startOrSay(() => source.start(), 'ESAMPLES')) return 1;
  const pass = args.owners ? 'owners' : 'tasks';
  if (!source.has(pass)) {
    const why = source.parts().find((p) => p.part === pass)?.why ?? '';
    process.stderr.write(`tcplens: samples: the ${pass} part is off on this kernel: ${why}\n`);
    source.close();
    return 1;
  }
  const out = new Output();
  let stop = false;
  const onSignal = (): void => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (args.owners) {
      const p = new RecordPrinter(out, args.format, ownerHeader, ownerRow);
      await p.begin(true);
      await source.owners(async (b: OwnerBatch, ctx) => {
        for (let i = 0; i < b.rows; i++) await p.record(ownerToRecord(b, i, ctx.names));
      });
      await p.end();
      return 0;
    }
    const p = new RecordPrinter(out, args.format, sampleHeader, sampleRow);
    const periodMs = 1000 / args.frequency;
    const t0 = Date.now();
    for (let n = 0; !stop; n++) {
      await p.begin(n === 0);
      await source.sample(async (b: SampleBatch, ctx) => {
        for (let i = 0; i < b.rows; i++) await p.record(sampleToRecord(b, i, ctx.names));
      });
      await p.end();
      if (args.iterations !== undefined && n + 1 >= args.iterations) break;
      // Fixed ticks from the start: a slow pass does not shift later samples.
      const wait = t0 + (n + 1) * periodMs - Date.now();
      if (wait > 0) await sleep(wait);
    }
    return 0;
  } finally {
    source.close();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

export const handler = async (argv: ArgumentsCamelCase<SampleArgs>): Promise<void> => {
  process.exitCode = await runSample(argv);
};
