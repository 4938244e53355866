// One row of an events batch -> a plain object for human output (json,
// ndjson, table). Field names are the column names, as in the poll view;
// kind and states become text; fields the event does not carry are absent
// (owner without EVF.PROC, counters except on close, cookie in the
// classic-tracepoint fallback).
import type { ColumnBatch } from '../layout/batch';
import { EVENT_KINDS, EVF } from '../layout/event_columns';
import { formatAddress } from './address';
import { SS_STATE_NAMES } from './tcp_states';
import type { SocketRecord } from './record';
import { endpoint } from './table';

const FINAL_U32 = ['tcpi_segs_in', 'tcpi_segs_out', 'tcpi_total_retrans', 'tcpi_rtt', 'tcpi_rttvar', 'tcpi_delivered', 'tcpi_lost'];

export const stateName = (s: number): string => SS_STATE_NAMES[s] ?? String(s);

export function eventToRecord(b: ColumnBatch, i: number, names: readonly string[]): SocketRecord {
  const flags = b.u8('flags')[i]!;
  const fam = b.u8('idiag_family')[i]!;
  const rec: SocketRecord = {
    ts_ns: b.u64('ts_ns')[i]!.toString(),
    kind: EVENT_KINDS[b.u8('kind')[i]!] ?? String(b.u8('kind')[i]),
    idiag_family: fam,
  };
  // no cookie: the tracepoint fallback, or a reset sent for no socket
  const cookie = b.u64('idiag_cookie')[i]!;
  if (!(flags & EVF.NOCOOKIE) && cookie !== 0n) rec.idiag_cookie = cookie.toString();
  rec.netns_inode = Number(b.u64('netns_inode')[i]!);
  rec.src = formatAddress(fam, b.b16('src', i));
  rec.sport = b.u16('sport')[i]!;
  rec.dst = formatAddress(fam, b.b16('dst', i));
  rec.dport = b.u16('dport')[i]!;
  rec.oldstate = stateName(b.u8('oldstate')[i]!);
  rec.newstate = stateName(b.u8('newstate')[i]!);
  if (flags & EVF.PROC) {
    rec.pid = b.u32('pid')[i]!;
    rec.tgid = b.u32('tgid')[i]!;
    const id = b.u32('comm')[i]!;
    rec.comm = id === 0 ? '' : (names[id - 1] ?? '?');
    rec.cgroup_id = Number(b.u64('cgroup_id')[i]!);
  }
  if (flags & EVF.FINAL) {
    rec.duration_ns = Number(b.u64('duration_ns')[i]!);
    rec.tcpi_bytes_acked = Number(b.u64('tcpi_bytes_acked')[i]!);
    rec.tcpi_bytes_received = Number(b.u64('tcpi_bytes_received')[i]!);
    for (const n of FINAL_U32) rec[n] = b.u32(n)[i]!;
  }
  return rec;
}

/** tcplife/tcpstates-like text: one line per event. */
export const EVENT_TABLE_HEADER =
  `${'TIME'.padEnd(12)} ${'KIND'.padEnd(14)} ${'PID'.padStart(7)} ${'COMM'.padEnd(15)} ` +
  `${'LOCAL'.padEnd(28)} ${'REMOTE'.padEnd(28)} ${'STATE'.padEnd(22)} DETAIL`;

export function eventTableRow(r: SocketRecord): string {
  const t = new Date(Number(BigInt(String(r.ts_ns)) / 1_000_000n)).toISOString().slice(11, 23);
  const state = r.oldstate === r.newstate ? String(r.newstate) : `${r.oldstate}->${r.newstate}`;
  const detail: string[] = [];
  if (r.duration_ns !== undefined) {
    detail.push(
      `ms:${(Number(r.duration_ns) / 1e6).toFixed(3)}`,
      `tx:${r.tcpi_bytes_acked}`,
      `rx:${r.tcpi_bytes_received}`,
      `rtt:${(Number(r.tcpi_rtt) / 1000).toFixed(3)}`,
      `retrans:${r.tcpi_total_retrans}`,
    );
  }
  if (r.idiag_cookie !== undefined) detail.push(`sk:${BigInt(String(r.idiag_cookie)).toString(16)}`);
  return (
    `${t.padEnd(12)} ${String(r.kind).padEnd(14)} ${String(r.tgid ?? '-').padStart(7)} ${String(r.comm ?? '-').padEnd(15)} ` +
    `${endpoint(r.src, r.sport).padEnd(28)} ${endpoint(r.dst, r.dport).padEnd(28)} ${state.padEnd(22)} ${detail.join(' ')}`.trimEnd()
  );
}
