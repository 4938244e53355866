// Rows of the samples view's batches -> plain objects for human output.
// Names are the columns' (and the poll view's where they mean the same);
// comm, task_state and syscall become text.
import type { OwnerBatch, SampleBatch } from '../layout/sample_columns';
import { NO_SYSCALL, SMF } from '../layout/sample_columns';
import { formatAddress } from './address';
import { syscallName, taskStateLetter } from './task_state';

export type SampleRecord = Record<string, number | string | boolean>;

const comm = (names: readonly string[], id: number): string => (id === 0 ? '?' : (names[id - 1] ?? '?'));

export function sampleToRecord(b: SampleBatch, i: number, names: readonly string[]): SampleRecord {
  const flags = b.u8('flags')[i]!;
  const nr = b.u32('syscall_nr')[i]!;
  const rec: SampleRecord = {
    ts_ns: b.u64('ts_ns')[i]!.toString(),
    sample_seq: b.u32('sample_seq')[i]!,
    pid: b.u32('pid')[i]!,
    tgid: b.u32('tgid')[i]!,
    comm: comm(names, b.u32('comm')[i]!),
    cgroup_id: Number(b.u64('cgroup_id')[i]!),
    task_state: taskStateLetter(b.u32('task_state')[i]!),
    on_cpu: (flags & SMF.ON_CPU) !== 0,
  };
  if (flags & SMF.KTHREAD) rec.kthread = true;
  if (nr !== NO_SYSCALL) rec.syscall = syscallName(nr);
  if (flags & SMF.SOCKET) {
    const fam = b.u8('idiag_family')[i]!;
    rec.idiag_family = fam;
    rec.idiag_state = b.u8('idiag_state')[i]!;
    rec.idiag_inode = b.u32('idiag_inode')[i]!;
    rec.idiag_cookie = b.u64('idiag_cookie')[i]!.toString();
    rec.src = formatAddress(fam, b.b16('src', i));
    rec.sport = b.u16('sport')[i]!;
    rec.dst = formatAddress(fam, b.b16('dst', i));
    rec.dport = b.u16('dport')[i]!;
    rec.netns_inode = Number(b.u64('netns_inode')[i]!);
  }
  rec.flags = flags;
  return rec;
}

export function ownerToRecord(b: OwnerBatch, i: number, names: readonly string[]): SampleRecord {
  return {
    idiag_inode: b.u32('idiag_inode')[i]!,
    idiag_cookie: b.u64('idiag_cookie')[i]!.toString(),
    netns_inode: Number(b.u64('netns_inode')[i]!),
    pid: b.u32('pid')[i]!,
    tgid: b.u32('tgid')[i]!,
    comm: comm(names, b.u32('comm')[i]!),
    fd: b.u32('fd')[i]!,
    cgroup_id: Number(b.u64('cgroup_id')[i]!),
  };
}
