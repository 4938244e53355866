// xcapture-like text for task samples and the socket -> process map.
import type { SampleRecord } from './sample_record';

type Col = [title: string, width: number, get: (r: SampleRecord) => string];

function clock(tsNs: string): string {
  const d = new Date(Number(BigInt(tsNs) / 1_000_000n));
  return d.toISOString().slice(11, 23);
}

function endpoint(addr: unknown, port: unknown): string {
  if (addr === undefined) return '-';
  const a = String(addr);
  return a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
}

const SAMPLE: Col[] = [
  ['TIME', 12, (r) => clock(String(r.ts_ns))],
  ['TID', 8, (r) => String(r.pid)],
  ['TGID', 8, (r) => String(r.tgid)],
  ['ST', 3, (r) => `${r.task_state}${r.on_cpu ? '+' : ''}`],
  ['COMM', 16, (r) => String(r.comm)],
  ['SYSCALL', 12, (r) => (r.syscall === undefined ? '-' : String(r.syscall))],
  ['COOKIE', 10, (r) => (r.idiag_cookie === undefined ? '-' : String(r.idiag_cookie))],
  ['LOCAL', 24, (r) => endpoint(r.src, r.sport)],
  ['REMOTE', 0, (r) => endpoint(r.dst, r.dport)],
];

const OWNER: Col[] = [
  ['INODE', 10, (r) => String(r.idiag_inode)],
  ['COOKIE', 10, (r) => String(r.idiag_cookie)],
  ['NETNS', 11, (r) => String(r.netns_inode)],
  ['PID', 8, (r) => String(r.pid)],
  ['TGID', 8, (r) => String(r.tgid)],
  ['FD', 6, (r) => String(r.fd)],
  ['COMM', 16, (r) => String(r.comm)],
  ['CGROUP', 0, (r) => String(r.cgroup_id)],
];

const line = (cells: string[], cols: Col[]): string =>
  cells
    .map((c, i) => (cols[i]![1] ? c.padEnd(cols[i]![1]) : c))
    .join(' ')
    .trimEnd();

const header = (cols: Col[]): string =>
  line(
    cols.map((c) => c[0]),
    cols,
  );
const row = (cols: Col[], r: SampleRecord): string =>
  line(
    cols.map((c) => c[2](r)),
    cols,
  );
export const sampleHeader = (): string => header(SAMPLE);
export const sampleRow = (r: SampleRecord): string => row(SAMPLE, r);
export const ownerHeader = (): string => header(OWNER);
export const ownerRow = (r: SampleRecord): string => row(OWNER, r);
