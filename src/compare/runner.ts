// The parent side of a view worker: spawn, wait until it is ready, go, stop,
// collect what it saw and what it cost.
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';
import type { WorkerArgs, WorkerResult } from './view_worker';
import type { SockObs } from './observe';
import type { ViewName } from './views';
import { isPolled } from './views/polled';

const WORKER = path.join(__dirname, 'view_worker.js');

export interface ViewOutcome {
  view: ViewName;
  interval_ms: number;
  /** the adaptive view's target and budget */
  adaptive?: { target: number; cpuBudget: number };
  /** set when the view could not run (not built, no permission, ...) */
  unavailable?: string;
  result?: WorkerResult;
  socks: SockObs[];
}

export class ViewRunner {
  private proc: ChildProcess | null = null;
  private lines: AsyncIterator<string> | null = null;
  unavailable: string | undefined;

  constructor(readonly args: WorkerArgs) {}

  get label(): string {
    const a = this.args;
    if (a.view === 'adaptive' && a.adaptive) return `adaptive ${Math.round(a.adaptive.target * 100)}%`;
    return isPolled(a.view) || a.view === 'samples' ? `${a.view} ${a.intervalMs} ms` : a.view;
  }

  private async line(): Promise<Record<string, unknown>> {
    const r = await this.lines!.next();
    if (r.done) return { error: `the ${this.label} worker exited (${this.proc?.exitCode ?? 'signal'})` };
    try {
      return JSON.parse(r.value) as Record<string, unknown>;
    } catch {
      return { error: `the ${this.label} worker wrote "${r.value.slice(0, 80)}"` };
    }
  }

  /** Resolves once the view is attached (or known to be unavailable). */
  async start(): Promise<void> {
    this.proc = spawn(process.execPath, [WORKER, JSON.stringify(this.args)], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.lines = readline.createInterface({ input: this.proc.stdout!, crlfDelay: Infinity })[Symbol.asyncIterator]();
    const m = await this.line();
    if (m.ready) return;
    this.unavailable = String(m.unavailable ?? m.error);
  }

  go(): void {
    if (!this.unavailable) this.proc!.stdin!.write('go\n');
  }

  async stop(): Promise<ViewOutcome> {
    const base = {
      view: this.args.view,
      interval_ms: this.args.intervalMs,
      ...(this.args.adaptive ? { adaptive: this.args.adaptive } : {}),
      socks: [] as SockObs[],
    };
    if (this.unavailable) {
      this.close();
      return { ...base, unavailable: this.unavailable };
    }
    this.proc!.stdin!.write('stop\n');
    const m = await this.line();
    this.close();
    if (!m.result) return { ...base, unavailable: String(m.error ?? 'no result') };
    return { ...base, result: m.result as WorkerResult, socks: m.socks as SockObs[] };
  }

  close(): void {
    if (this.proc && this.proc.exitCode === null) {
      this.proc.stdin?.end();
      const p = this.proc;
      setTimeout(() => {
        if (p.exitCode === null) p.kill('SIGKILL');
      }, 2000).unref();
    }
  }
}
