// The samples view: what every thread is doing (state, syscall, the TCP
// socket it blocks on) from an eBPF task iterator, one pass per sample, and
// which process owns each TCP socket from a task_file iterator. Whole
// column batches go to the consumer; the native side reads the iterators off
// the JS thread.
import { samplerAddon, type NativeSampler, type SamplePass, type SamplerStats } from '../native/sampler';
import { OwnerBatch, SampleBatch } from '../layout/sample_columns';
import type { ColumnBatch } from '../layout/batch';
import { TcplensError } from '../util/errors';
import type { ViewPart } from '../native/addon';
import { bpfAvailability, loadParts, type Availability } from './parts';

export interface SampleOptions {
  /** only this process (tgid), filtered in the kernel */
  pid?: number;
  /** every thread, not only the active ones */
  all?: boolean;
  /** rows per batch */
  batchRows?: number;
  /** keep the kernel's BPF run-time statistics on while open (benchmarks) */
  runStats?: boolean;
  /** this process's own threads in the task samples too (left out by
   * default: its reader is on a CPU in every pass); pid naming this process
   * includes them as well */
  includeSelf?: boolean;
}

export type { Availability };

/** Context of a batch: the comm dictionary so far (id = index + 1) and the pass. */
export interface SampleContext {
  names: readonly string[];
  seq: number;
  /** wall clock of the pass, ns since the epoch */
  tsNs: bigint;
}

export interface PassResult {
  seq: number;
  tsNs: bigint;
  rows: number;
  batches: number;
  durationMs: number;
}

export type SampleConsumer = (batch: SampleBatch, ctx: SampleContext) => void | Promise<void>;
export type OwnerConsumer = (batch: OwnerBatch, ctx: SampleContext) => void | Promise<void>;

/** Why this process cannot run the samples view, before trying to load it. */
export const sampleAvailability = (): Availability =>
  bpfAvailability(() => samplerAddon().samplerUnbuilt(), 'the samples view loads eBPF task iterators');

/** Rows of an owners batch unless batchRows says: a pass writes a row per
 * socket of the host (99k on bench/poll's farm), and each batch pays a trip
 * to the libuv pool, the flow table's and the sink's per-batch work; 44 B a
 * row, 360 KB a batch (bench/poll/README.md, "Two builds"). */
export const OWNER_BATCH_ROWS = 8192;

export class SampleSource {
  private native: NativeSampler | null = null;
  private readonly names: string[] = [];
  private readonly tasks: SampleBatch;
  private readonly owners_: OwnerBatch;
  private parts_: ViewPart[] = [];

  /** Why this process cannot run the view (not built, no capability), before loading anything. */
  static availability(): Availability {
    return sampleAvailability();
  }

  constructor(private readonly opts: SampleOptions = {}) {
    this.tasks = new SampleBatch(opts.batchRows ?? 1024);
    this.owners_ = new OwnerBatch(opts.batchRows ?? OWNER_BATCH_ROWS);
  }

  /** Checks, loads and attaches every part the kernel accepts (parts() says
   * which); throws TcplensError('ESAMPLES') with one line saying why when
   * none runs. */
  start(): void {
    if (this.native) return;
    const { pid = 0, all = false, runStats = false, includeSelf = false } = this.opts;
    const skipTgid = includeSelf || pid === process.pid ? 0 : process.pid;
    this.native = loadParts(
      'samples',
      sampleAvailability(),
      'ESAMPLES',
      () => new (samplerAddon().Sampler)({ tgid: pid, all, runStats, skipTgid }),
      (p) => (this.parts_ = p),
      (e) => `eBPF ${e.message} [${e.code ?? 'EUNKNOWN'}]`,
    );
  }

  /** Each part (tasks, owners) as the last start() left it. */
  parts(): ViewPart[] {
    return this.parts_;
  }

  /** Whether a pass of this kind can run (its part loaded). */
  has(kind: SamplePass): boolean {
    return this.parts_.some((p) => p.part === kind && p.up);
  }

  /** One iter/task pass: every sampled thread, in whole batches. The batch
   * is reused: read it before the consumer's promise resolves. */
  sample(consume: SampleConsumer): Promise<PassResult> {
    return this.pass('tasks', this.tasks, consume as (b: ColumnBatch, c: SampleContext) => void | Promise<void>);
  }

  /** One iter/task_file pass: every (process, TCP socket fd). Generates the
   * cookie of sockets nobody asked for yet, so later samples carry it too. */
  owners(consume: OwnerConsumer): Promise<PassResult> {
    return this.pass('owners', this.owners_, consume as (b: ColumnBatch, c: SampleContext) => void | Promise<void>);
  }

  private async pass(
    kind: SamplePass,
    batch: ColumnBatch,
    consume: (b: ColumnBatch, c: SampleContext) => void | Promise<void>,
  ): Promise<PassResult> {
    const n = this.native;
    if (!n || n.closed) throw new TcplensError('ESAMPLES', 'SampleSource: not started, or closed');
    if (!this.has(kind)) {
      const why = this.parts_.find((p) => p.part === kind)?.why ?? 'unknown part';
      throw new TcplensError('ESAMPLES', `samples: the ${kind} part is off on this kernel: ${why}`);
    }
    const t0 = process.hrtime.bigint();
    const { seq, tsNs } = n.begin(kind);
    const res: PassResult = { seq, tsNs, rows: 0, batches: 0, durationMs: 0 };
    for (;;) {
      const r = await n.fill(batch.buffer, batch.capacity);
      if (r.names.length) this.names.push(...r.names);
      if (r.rows > 0) {
        batch.rows = r.rows;
        res.rows += r.rows;
        res.batches++;
        await consume(batch, { names: this.names, seq, tsNs });
      }
      if (r.errno) throw new TcplensError('ESAMPLES', `samples: reading the ${kind} iterator failed: ${r.code ?? r.errno}`);
      if (r.done) break;
    }
    res.durationMs = Number(process.hrtime.bigint() - t0) / 1e6;
    return res;
  }

  /** Only these namespaces are watched (inode numbers; [] or null: every
   * namespace): the owners pass writes their sockets only, the task sampler
   * their threads and the threads blocked on their sockets. False when they
   * are too many to filter in the kernel: every namespace is then written. */
  watchNetns(inodes: readonly number[] | null): boolean {
    const n = this.native;
    if (!n || n.closed) return false;
    return n.watchNetns(inodes ? [...inodes] : []);
  }

  /** Cumulative counters; null before start(). */
  stats(): SamplerStats | null {
    return this.native ? this.native.stats() : null;
  }

  /** The comm dictionary so far (id = index + 1). */
  commNames(): readonly string[] {
    return this.names;
  }

  /** Detaches and unloads. Idempotent. */
  close(): void {
    this.native?.close();
  }
}
