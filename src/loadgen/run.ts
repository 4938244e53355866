// Starting a workload from the host namespace: make (or reuse) a network
// namespace, spawn the workload process in it, say "go", wait for its truth.
import { spawn, execFileSync, type ChildProcess } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';
import { TcplensError } from '../util/errors';
import type { LoadSpec } from './spec';
import type { TruthSummary } from './truth';

const WORKER = path.join(__dirname, 'worker.js');

export interface LoadgenOptions {
  spec: LoadSpec;
  /** ground truth file (ndjson) */
  out: string;
  /** an existing namespace under /run/netns; otherwise one is made and removed */
  netns?: string;
}

export interface Ready {
  port: number;
  netns_inode: number;
  flows: number;
}

let made = 0;

export class Loadgen {
  readonly netns: string;
  readonly created: boolean;
  private proc: ChildProcess | null = null;
  private lines: AsyncIterator<string> | null = null;
  private summary: Promise<TruthSummary> | null = null;

  constructor(private readonly opts: LoadgenOptions) {
    this.created = opts.netns === undefined;
    this.netns = opts.netns ?? `tl-loadgen-${process.pid}-${++made}`;
  }

  /** Namespace up, workload listening; flows start at go(). */
  async start(): Promise<Ready> {
    if (this.created) {
      try {
        execFileSync('ip', ['netns', 'add', this.netns], { stdio: ['ignore', 'ignore', 'pipe'] });
        execFileSync('ip', ['-n', this.netns, 'link', 'set', 'lo', 'up'], { stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (e) {
        this.close();
        throw new TcplensError(
          'ENETNS',
          `loadgen: cannot create network namespace ${this.netns}: ${String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim()}`,
        );
      }
    }
    const proc = spawn(
      'ip',
      ['netns', 'exec', this.netns, process.execPath, WORKER, JSON.stringify({ spec: this.opts.spec, out: this.opts.out })],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    this.proc = proc;
    this.lines = readline.createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
    const first = JSON.parse(await this.nextLine('start')) as Ready & { error?: string };
    if (first.error) throw new TcplensError('EUSAGE', `loadgen: ${first.error}`);
    return first;
  }

  private async nextLine(phase: string): Promise<string> {
    const r = await this.lines!.next();
    if (r.done) {
      const code = await new Promise<number | null>((res) =>
        this.proc!.exitCode !== null ? res(this.proc!.exitCode) : this.proc!.once('exit', res),
      );
      throw new TcplensError('ENETNS', `loadgen: the workload exited (${code}) before it could ${phase}`);
    }
    return r.value;
  }

  /** Starts the schedule; resolves with the summary once every flow is closed. */
  go(): Promise<TruthSummary> {
    this.proc!.stdin!.write('go\n');
    this.summary = this.nextLine('finish').then((l) => JSON.parse(l) as TruthSummary);
    return this.summary;
  }

  /** No new flows; open ones close now. */
  stop(): void {
    this.proc?.stdin?.write('stop\n');
  }

  /** Kills the workload if it still runs and removes the namespace we made. Idempotent. */
  close(): void {
    if (this.proc && this.proc.exitCode === null) this.proc.kill('SIGKILL');
    this.proc = null;
    if (this.created) {
      try {
        execFileSync('ip', ['netns', 'delete', this.netns], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
  }
}
