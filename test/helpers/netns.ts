// Real network namespaces for tests: unique names, removed afterwards.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'child_process';
import * as readline from 'readline';
import { scaled } from './time_scale';

let counter = 0;

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Creates `tlt-<pid>-<n>` with lo up; returns its name. */
export function createNetns(tag = 't'): string {
  const name = `tlt-${tag}-${process.pid}-${++counter}`;
  execFileSync('ip', ['netns', 'add', name]);
  execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

export function deleteNetns(name: string): void {
  try {
    execFileSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
  } catch {
    /* already gone */
  }
}

/** Runs a command inside the namespace and returns its stdout. */
export function inNetns(name: string, cmd: string, args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', name, cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface Workload {
  proc: ChildProcess;
  /** what the workload printed as its first line (JSON) */
  info: WorkloadInfo;
  stop(): Promise<void>;
}

export interface WorkloadSocket {
  role: string;
  family: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  cong?: string;
  tos?: number;
  tclass?: number;
  mark?: number;
  sent?: number;
  unread?: number;
  shutdown?: string;
}

export interface WorkloadInfo {
  pid: number;
  sockets: WorkloadSocket[];
}

const WORKLOAD = `${__dirname}/../../../test/helpers/workload.py`;

/** Starts test/helpers/workload.py in the namespace with a JSON spec; resolves
 * when it has set everything up and printed its sockets. */
export function startWorkload(netns: string | null, spec: object): Promise<Workload> {
  return startPython<WorkloadInfo>(WORKLOAD, netns, spec);
}

/** Runs a python helper (argv[1] = JSON spec) in the namespace; resolves with
 * the JSON of its first output line. It exits when its stdin closes. */
export function startPython<T>(
  script: string,
  netns: string | null,
  spec: object,
): Promise<{ proc: ChildProcess; info: T; stop(): Promise<void> }> {
  const argv = ['python3', script, JSON.stringify(spec)];
  const proc = netns
    ? spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: ['pipe', 'pipe', 'inherit'] })
    : spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: proc.stdout! });
    const timer = setTimeout(() => reject(new Error(`${script} did not start in ${scaled(20)} s`)), scaled(20_000));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited early (${code})`));
    });
    rl.once('line', (line) => {
      clearTimeout(timer);
      proc.removeAllListeners('exit');
      const info = JSON.parse(line) as T;
      resolve({
        proc,
        info,
        stop: () =>
          new Promise<void>((res) => {
            if (proc.exitCode !== null) return res();
            proc.once('exit', () => res());
            proc.stdin!.end(); // the helper exits when stdin closes
            setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
          }),
      });
    });
  });
}

/** A fresh namespace for the suite (or for each test, `each`), deleted after;
 * the suite skips, saying so, without root. Call inside describe(). */
export function suiteNetns(tag: string, each = false): { readonly name: string } {
  const ns = { name: '' };
  (each ? beforeEach : before)(function () {
    if (!isRoot()) {
      console.log('    skipped: needs root to create network namespaces');
      this.skip();
    }
    ns.name = createNetns(tag);
  });
  (each ? afterEach : after)(() => {
    if (ns.name) deleteNetns(ns.name);
    ns.name = '';
  });
  return ns;
}

/** A suite namespace (suiteNetns) and the workloads its tests start in it, each stopped after its test. */
export function suiteWorkloads(tag: string): { readonly name: string; start(spec: object): Promise<Workload> } {
  const ns = suiteNetns(tag);
  let running: Workload[] = [];
  afterEach(async () => {
    for (const w of running) await w.stop();
    running = [];
  });
  return {
    get name() {
      return ns.name;
    },
    async start(spec) {
      const w = await startWorkload(ns.name, spec);
      running.push(w);
      return w;
    },
  };
}

/** A namespace with an established hash of its own of `buckets` (Linux 6.1+):
 * made from inside a parent namespace whose net.ipv4.tcp_child_ehash_entries
 * is set, so the host's own setting is never touched. null when this kernel
 * has no tcp_child_ehash_entries. Delete both names afterwards. */
export function createNetnsWithEhash(tag: string, buckets: number): { name: string; parent: string } | null {
  const parent = createNetns(`${tag}p`);
  const set = spawnSync('nsenter', [
    `--net=/run/netns/${parent}`,
    'sh',
    '-c',
    `echo ${buckets} > /proc/sys/net/ipv4/tcp_child_ehash_entries`,
  ]);
  if (set.status !== 0) {
    deleteNetns(parent);
    return null;
  }
  const name = `tlt-${tag}-${process.pid}-${++counter}`;
  // ip netns add unshares from the namespace it runs in: the parent's setting applies
  execFileSync('nsenter', [`--net=/run/netns/${parent}`, 'ip', 'netns', 'add', name]);
  execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return { name, parent };
}
