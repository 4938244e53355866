// The samples view's batch layouts: the TS mirror of native/sample_columns.h
// (TL_SAMPLE_COLUMNS, TL_OWNER_COLUMNS), in the same order and types.
// test/native/sample_layout.test.ts checks them against the addon's
// sampleLayout().
import type { ColumnSpec } from './poll_columns';
import { ColumnBatch } from './batch';

const col = (name: string, type: ColumnSpec['type']): ColumnSpec => ({ name, type, tcpiEnd: 0 });

/** iter/task: one row per sampled thread per pass. */
export const SAMPLE_COLUMNS: readonly ColumnSpec[] = [
  col('src', 'b16'), col('dst', 'b16'),
  col('ts_ns', 'u64'), col('idiag_cookie', 'u64'), col('netns_inode', 'u64'), col('cgroup_id', 'u64'),
  col('sample_seq', 'u32'), col('pid', 'u32'), col('tgid', 'u32'), col('comm', 'u32'),
  col('task_state', 'u32'), col('syscall_nr', 'u32'), col('idiag_inode', 'u32'),
  col('sport', 'u16'), col('dport', 'u16'),
  col('idiag_family', 'u8'), col('idiag_state', 'u8'), col('flags', 'u8'),
];

/** iter/task_file: one row per (process, TCP socket fd). */
export const OWNER_COLUMNS: readonly ColumnSpec[] = [
  col('idiag_cookie', 'u64'), col('netns_inode', 'u64'), col('cgroup_id', 'u64'),
  col('idiag_inode', 'u32'), col('tgid', 'u32'), col('pid', 'u32'), col('fd', 'u32'), col('comm', 'u32'),
];

/** flags bits of a task sample (TL_SMF_* in native/sample_columns.h). */
export const SMF = {
  ON_CPU: 0x01, RUNNABLE: 0x02, IN_SYSCALL: 0x04, SOCKET: 0x08, NO_COOKIE: 0x10, KTHREAD: 0x20,
} as const;

/** syscall_nr when the thread is not in a syscall. */
export const NO_SYSCALL = 0xffffffff;

export class SampleBatch extends ColumnBatch {
  constructor(capacity: number) { super(capacity, SAMPLE_COLUMNS); }
}

export class OwnerBatch extends ColumnBatch {
  constructor(capacity: number) { super(capacity, OWNER_COLUMNS); }
}
