// What one poll dump costs before it finds a socket: the kernel walks the
// whole established hash of the namespace (its own, or from 6.1 one made for
// it by net.ipv4.tcp_child_ehash_entries), and the listening hash when
// listeners are asked for (run asks for them in a dump of their own:
// --listen-interval). Measured for real, per namespace, on the host and a
// sample of the watched namespaces: the CPU of a dump that
// matches nothing (TCPF_CLOSE: no hashed socket is in it) and of a listen
// dump, medians of a few. The wording is in dump_cost_row.ts.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { addon, type DiagSocket } from '../native/addon';
import { PollBatch } from '../layout/batch';
import { resolveNetns, type NetnsSelector } from '../netns/select';
import type { NetnsInfo } from '../netns/discover';
import { TCPF_CLOSE, TCPF_LISTEN } from '../sources/listen_states';

export const EHASH_SYSCTL = '/proc/sys/net/ipv4/tcp_ehash_entries';
export const CHILD_EHASH_SYSCTL = '/proc/sys/net/ipv4/tcp_child_ehash_entries';

export interface NsDumpCost {
  name: string;
  /** tcp_ehash_entries in it: buckets, negative when it shares the host's table; null: not known */
  ehash: number | null;
  /** ms of CPU of a dump that returns nothing (the established hash's walk); null: not measured */
  walkMs: number | null;
  /** ms of CPU of a listeners-only dump (the listening hash, the host's) */
  listenMs: number | null;
  /** why it was not measured (the namespace could not be entered, the dump failed) */
  error?: string;
}

export interface DumpCostFacts {
  /** namespaces the selector names now */
  namespaces: number;
  /** the host's own and the first few others, measured */
  sampled: NsDumpCost[];
  /** tcp_ehash_entries exists on this kernel (6.1+) */
  perNetnsEhash: boolean;
  /** net.ipv4.tcp_child_ehash_entries of our own namespace (0: new namespaces share the host's table); null: not on this kernel */
  childEhash: number | null;
  /** "TCP established hash table entries" of the kernel log; null: not found */
  kernelLogEhash: number | null;
}

export interface DumpCostOptions {
  /** namespaces measured at most (default 8) */
  sample?: number;
  /** dumps per figure, the median kept (default 5) */
  reps?: number;
}

function readInt(file: string): number | null {
  try {
    const v = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

/** tcp_ehash_entries as namespace ns sees it (/proc/sys/net is the reader's namespace's). */
function ehashOf(ns: NetnsInfo): number | null {
  if (ns.path === null) return readInt(EHASH_SYSCTL);
  const r = spawnSync('nsenter', [`--net=${ns.path}`, 'cat', EHASH_SYSCTL], { encoding: 'utf8', timeout: 10_000 });
  const v = Number(r.stdout?.trim());
  return r.status === 0 && r.stdout.trim() !== '' && Number.isFinite(v) ? v : null;
}

/** The boot line "TCP established hash table entries: N" (every namespace's table before 6.1). */
export function parseKernelLogEhash(text: string): number | null {
  const all = [...text.matchAll(/TCP established hash table entries: (\d+)/g)];
  const last = all[all.length - 1];
  return last ? Number(last[1]) : null;
}

function kernelLogEhash(): number | null {
  const r = spawnSync('dmesg', [], { encoding: 'utf8', timeout: 10_000, maxBuffer: 64 << 20 });
  return r.status === 0 ? parseKernelLogEhash(r.stdout) : null;
}

/** ms of this process's CPU for one dump of `states` (both families, no extensions) read to its end. */
async function dumpCpuMs(sock: DiagSocket, states: number, batch: PollBatch): Promise<number> {
  const c0 = process.cpuUsage();
  sock.begin({ families: 3, states, ext: 0 });
  for (;;) {
    const r = await sock.fill(batch.buffer, batch.capacity);
    if (r.errno) throw Object.assign(new Error(r.code ?? `errno ${r.errno}`), { code: r.code ?? `errno ${r.errno}` });
    if (r.done) break;
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1]!;
};

async function medianMs(sock: DiagSocket, states: number, batch: PollBatch, reps: number): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < reps; i++) xs.push(await dumpCpuMs(sock, states, batch));
  return median(xs);
}

async function measureOne(ns: NetnsInfo, reps: number, batch: PollBatch, perNetns: boolean): Promise<NsDumpCost> {
  const out: NsDumpCost = { name: ns.name, ehash: perNetns ? ehashOf(ns) : null, walkMs: null, listenMs: null };
  let sock: DiagSocket | null = null;
  try {
    sock = new (addon().DiagSocket)(ns.path);
    await dumpCpuMs(sock, TCPF_CLOSE, batch); // first touch of the tables, not counted
    out.walkMs = await medianMs(sock, TCPF_CLOSE, batch, reps);
    out.listenMs = await medianMs(sock, TCPF_LISTEN, batch, reps);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    out.error = err.code ?? err.message;
  } finally {
    sock?.close();
  }
  return out;
}

/** Measures the host's own namespace (when watched) and the first others the selector names. */
export async function measureDumpCost(sel: NetnsSelector, opts: DumpCostOptions = {}): Promise<DumpCostFacts> {
  const all = resolveNetns(sel, false).namespaces;
  const own = all.filter((n) => n.path === null);
  const picked = [...own, ...all.filter((n) => n.path !== null)].slice(0, opts.sample ?? 8);
  const perNetnsEhash = fs.existsSync(EHASH_SYSCTL);
  const batch = new PollBatch(64);
  const sampled: NsDumpCost[] = [];
  for (const ns of picked) sampled.push(await measureOne(ns, opts.reps ?? 5, batch, perNetnsEhash));
  return {
    namespaces: all.length,
    sampled,
    perNetnsEhash,
    childEhash: readInt(CHILD_EHASH_SYSCTL),
    kernelLogEhash: perNetnsEhash ? null : kernelLogEhash(),
  };
}
