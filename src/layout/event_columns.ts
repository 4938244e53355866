// The events batch layout: the TS mirror of native/event_columns.h
// (test/native/event_layout.test.ts checks it against eventLayout()).
import type { ColumnSpec } from './batch';

const col = (name: string, type: ColumnSpec['type']): ColumnSpec => ({ name, type, tcpiEnd: 0 });

export const EVENT_COLUMNS: readonly ColumnSpec[] = [
  col('src', 'b16'), col('dst', 'b16'),
  col('ts_ns', 'u64'), col('idiag_cookie', 'u64'), col('netns_inode', 'u64'), col('cgroup_id', 'u64'),
  col('duration_ns', 'u64'), col('tcpi_bytes_acked', 'u64'), col('tcpi_bytes_received', 'u64'),
  col('pid', 'u32'), col('tgid', 'u32'), col('comm', 'u32'),
  col('tcpi_segs_in', 'u32'), col('tcpi_segs_out', 'u32'), col('tcpi_total_retrans', 'u32'),
  col('tcpi_rtt', 'u32'), col('tcpi_rttvar', 'u32'), col('tcpi_delivered', 'u32'), col('tcpi_lost', 'u32'),
  col('sport', 'u16'), col('dport', 'u16'),
  col('kind', 'u8'), col('idiag_family', 'u8'), col('oldstate', 'u8'), col('newstate', 'u8'), col('flags', 'u8'),
];

/** enum tl_event_kind: index = kind value. */
export const EVENT_KINDS = ['', 'active_open', 'passive_open', 'close', 'state', 'retransmit', 'reset_sent', 'reset_received'] as const;
export type EventKindName = Exclude<(typeof EVENT_KINDS)[number], ''>;

export const EV_KIND = {
  ACTIVE_OPEN: 1, PASSIVE_OPEN: 2, CLOSE: 3, STATE: 4, RETRANSMIT: 5, RESET_SENT: 6, RESET_RECEIVED: 7,
} as const;

/** TL_EVF_* */
export const EVF = { FINAL: 0x01, PROC: 0x02, NOCOOKIE: 0x04 } as const;
