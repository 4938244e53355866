// Namespace churn against a live `tcplens run --netns all`, isolated from the
// rest of the host: the run lives in its own PID and mount namespaces, where
// /run/netns is a private directory and /proc shows only its own processes,
// so `all` means exactly the namespaces this helper creates (other tests'
// namespaces on the machine are neither seen nor disturbed). Namespaces are
// made and removed with `ip -batch` inside the run's mount namespace.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startRun, type RunProc } from './run_proc';

export interface ChurnNs {
  name: string;
  inode: number;
  /** wall ms: just before the batch that made it, and when that batch returned */
  addStart: number;
  added: number;
  /** wall ms when the batch that removes it started (Infinity: still there) */
  deleted: number;
}

export interface CycleRow {
  /** the cycle's start (wall ms) and how long the whole cycle took */
  tsMs: number;
  durationMs: number;
  name: string;
  inode: number;
  errors: number;
  errorCode: string;
}

export interface ChurnRun {
  run: RunProc;
  /** host pid of the node process */
  pid: number;
  rows: CycleRow[];
  fds(): number;
  threads(): number;
  /** applies adds and deletes in one ip -batch; returns the new namespaces */
  batch(add: string[], del: ChurnNs[]): ChurnNs[];
  stop(): Promise<number | null>;
  cleanup(): void;
}

/** The node process under unshare (unshare -> sh, which execs node). */
function childPid(pid: number): number {
  for (let i = 0; i < 100; i++) {
    try {
      const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      const node = kids.map(Number).find((k) => fs.readFileSync(`/proc/${k}/cmdline`, 'utf8').includes('tcplens.js'));
      if (node) return node;
    } catch {
      /* not yet */
    }
    execFileSync('sleep', ['0.05']);
  }
  throw new Error(`no tcplens process under ${pid}`);
}

export async function startChurnRun(args: string[]): Promise<ChurnRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-churn-'));
  fs.mkdirSync(path.join(dir, 'netns'));
  const wrap = [
    'unshare',
    '--pid',
    '--fork',
    '--mount-proc',
    '--propagation',
    'private',
    'sh',
    '-c',
    `mount --bind ${dir}/netns /run/netns && exec "$@"`,
    'tcplens',
  ];
  const run = startRun(['--netns', 'all', '--sink', 'stdout', '--listen', '127.0.0.1:0', '--spool-dir', `${dir}/spool`, ...args], {}, wrap);
  const rows: CycleRow[] = [];
  let partial = '';
  run.proc.stdout!.on('data', (d: Buffer) => {
    const lines = (partial + d.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      if (!l.startsWith('{"table":"poll_cycles"')) continue;
      const r = JSON.parse(l) as Record<string, unknown>;
      rows.push({
        tsMs: Number(BigInt(r['ts_ns'] as string) / 1_000_000n),
        durationMs: Number(r['duration_us']) / 1000,
        name: String(r['netns_name']),
        inode: Number(r['netns_inode']),
        errors: Number(r['errors']),
        errorCode: String(r['error_code']),
      });
    }
  });
  await run.waitFor('run.started', 60_000);
  const pid = childPid(run.proc.pid!);
  const root = `/proc/${pid}/root/run/netns`;
  return {
    run,
    pid,
    rows,
    fds: () => fs.readdirSync(`/proc/${pid}/fd`).length,
    threads: () => fs.readdirSync(`/proc/${pid}/task`).length,
    batch(add, del) {
      const start = Date.now();
      const lines = [...del.map((n) => `netns del ${n.name}`), ...add.map((n) => `netns add ${n}`)];
      if (!lines.length) return [];
      for (const n of del) n.deleted = start;
      execFileSync('nsenter', ['-t', String(pid), '-m', '-p', 'ip', '-batch', '-'], { input: lines.join('\n') + '\n' });
      const added = Date.now();
      return add.map((name) => ({ name, inode: fs.statSync(`${root}/${name}`).ino, addStart: start, added, deleted: Infinity }));
    },
    async stop() {
      // to node itself: unshare --fork ignores SIGTERM and does not pass it on
      process.kill(pid, 'SIGTERM');
      return run.exited;
    },
    cleanup() {
      // the namespaces' bind mounts live in the run's mount namespace: they go with it
      try {
        run.proc.kill('SIGKILL');
      } catch {
        /* gone */
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
