// Drives test/helpers/churn.py inside a namespace: N loopback connections,
// closed at once or held open until release().
import { spawn, execFile, execFileSync } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';

export const CHURN = path.resolve(__dirname, '../../../test/helpers/churn.py');

export interface ChurnTruth {
  listener: [string, number];
  flows: Array<{ sport: number; dport: number; sent: number; received: number }>;
}

/** N connections opened, used (BYTES up, BYTES/2 back) and closed. */
export function churn(ns: string, n: number, bytes = 0): ChurnTruth {
  const out = execFileSync('ip', ['netns', 'exec', ns, 'python3', CHURN, String(n), String(bytes)], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as ChurnTruth;
}

/** churn() without blocking the event loop while the script runs: a test
 * that times what happens during the churn (a watch's wake) sees it then. */
export function churnAsync(ns: string, n: number, bytes = 0): Promise<ChurnTruth> {
  return new Promise((resolve, reject) =>
    execFile('ip', ['netns', 'exec', ns, 'python3', CHURN, String(n), String(bytes)], { encoding: 'utf8' }, (err, out) =>
      err ? reject(err) : resolve(JSON.parse(out.trim().split('\n').pop()!) as ChurnTruth),
    ),
  );
}

export interface HeldChurn {
  /** closes every connection; resolves with the ground truth once the script exited */
  release(): Promise<ChurnTruth>;
}

/** N connections opened and used, held open until release(). */
export async function heldChurn(ns: string, n: number, bytes = 0): Promise<HeldChurn> {
  const proc = spawn('ip', ['netns', 'exec', ns, 'python3', CHURN, String(n), String(bytes), 'hold'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const it = readline.createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.value !== 'open') throw new Error(`churn.py: expected "open", got ${String(first.value)}`);
  return {
    async release() {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.stdin!.write('\n');
      const last = await it.next();
      await exited;
      return JSON.parse(String(last.value)) as ChurnTruth;
    },
  };
}

/** The cookies of the namespace's established sockets, as one inet_diag poll reports them. */
export async function liveCookies(ns: string): Promise<Set<string>> {
  const { PollSource } = await import('../../src/sources/poll');
  const { parseNetnsSelector } = await import('../../src/netns/select');
  const poll = new PollSource({ netns: parseNetnsSelector(ns), states: 1 << 1 }); // ESTABLISHED
  const live = new Set<string>();
  await poll.cycle((b) => {
    for (let i = 0; i < b.rows; i++) live.add(b.u64('idiag_cookie')[i]!.toString());
  });
  poll.close();
  return live;
}
