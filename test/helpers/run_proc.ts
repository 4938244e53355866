// `tcplens run` as a child process: its JSON log lines, its exit.
import { execFile, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { createNetns, deleteNetns, isRoot } from './netns';
import { skipIf } from './skip';
import { scaled } from './time_scale';

export const BIN = path.resolve(__dirname, '../../../bin/tcplens.js');

export interface RunProc {
  proc: ChildProcess;
  /** every JSON log line so far */
  logs: Array<Record<string, unknown>>;
  /** other stderr lines (should stay empty) */
  other: string[];
  exited: Promise<number | null>;
  /** resolves with the first log line whose key is `key` */
  waitFor(key: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** the last line with this key */
  last(key: string): Record<string, unknown> | undefined;
}

const live = new Set<ChildProcess>();

/** Kills every run still alive (a failed test must not leave one behind:
 * it would hold BPF programs, stats and ports). For afterEach. */
export function killRuns(): void {
  for (const p of live) p.kill('SIGKILL');
  live.clear();
}

/** Starts `tcplens run args` (under `wrap`, when given). Unless args name a --spool-dir, the run gets a
 * private one, removed when it exits: the default (.tcplens/spool under the
 * working directory) would carry one test's unsent batches into the next. */
export function startRun(args: string[], env: NodeJS.ProcessEnv = {}, wrap: string[] = []): RunProc {
  const spool = args.includes('--spool-dir') ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'tlspool-'));
  // wrap: a command line before `node` (capsh, unshare, a seccomp wrapper)
  const argv = [process.execPath, BIN, 'run', ...args, ...(spool ? ['--spool-dir', spool] : [])];
  const proc = spawn(wrap[0] ?? argv[0]!, [...wrap.slice(1), ...(wrap.length ? argv : argv.slice(1))], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  proc.once('exit', () => {
    live.delete(proc);
    if (spool) fs.rmSync(spool, { recursive: true, force: true });
  });
  const logs: Array<Record<string, unknown>> = [];
  const other: string[] = [];
  const waiters: Array<{ key: string; resolve: (l: Record<string, unknown>) => void }> = [];
  readline.createInterface({ input: proc.stderr! }).on('line', (line) => {
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      other.push(line);
      return;
    }
    logs.push(rec);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.key === rec['key']) {
        waiters[i]!.resolve(rec);
        waiters.splice(i, 1);
      }
    }
  });
  proc.stdout!.resume();
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    proc,
    logs,
    other,
    exited,
    waitFor(key, timeoutMs = 30_000) {
      timeoutMs = scaled(timeoutMs);
      const seen = logs.find((l) => l['key'] === key);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () =>
            reject(
              new Error(`no "${key}" log line within ${timeoutMs} ms; stderr: ${JSON.stringify(logs.slice(-5))} ${other.join(' | ')}`),
            ),
          timeoutMs,
        );
        waiters.push({
          key,
          resolve: (l) => {
            clearTimeout(t);
            resolve(l);
          },
        });
      });
    },
    last(key) {
      for (let i = logs.length - 1; i >= 0; i--) if (logs[i]!['key'] === key) return logs[i];
      return undefined;
    },
  };
}

/** Everything `proc` writes to stdout from now on: call the result for the text so far. */
export function collectStdout(proc: ChildProcess): () => string {
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return () => out;
}

/** The records of newline-delimited JSON (what `--sink stdout` writes). */
export function ndjsonRows<T = Record<string, unknown>>(text: string): T[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

/** One CLI command run to its end: exit code, stdout, stderr. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [BIN, ...args], { env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Per test: a fresh namespace (`ns`, its inode `ino`) and data directory
 * (`dir`), and after it every run killed and both removed. The suite skips,
 * saying so, without root. Call inside describe(). */
export function runFixture(tag: string, dirPrefix: string): { readonly ns: string; readonly ino: number; readonly dir: string } {
  const fx = { ns: '', ino: 0, dir: '' };
  beforeEach(function () {
    skipIf(this, !isRoot(), 'needs root to create network namespaces');
    fx.ns = createNetns(tag);
    fx.ino = fs.statSync(`/run/netns/${fx.ns}`).ino;
    fx.dir = fs.mkdtempSync(path.join(os.tmpdir(), dirPrefix));
  });
  afterEach(() => {
    killRuns();
    if (fx.ns) deleteNetns(fx.ns);
    if (fx.dir) fs.rmSync(fx.dir, { recursive: true, force: true });
    fx.ns = fx.dir = '';
  });
  return fx;
}
