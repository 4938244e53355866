// One socket row of a poll batch -> a plain object with the kernel's field
// names, for human output (json/ndjson/table). Fields the kernel did not
// return are absent, not zero: a missing INET_DIAG_MARK (no CAP_NET_ADMIN)
// or a tcp_info member past what an older kernel sent.
import type { PollBatch } from '../layout/batch';
import { POLL_COLUMNS } from '../layout/poll_columns';
import { formatAddress } from './address';

/** INET_DIAG_* attribute numbers (linux/inet_diag.h). */
export const ATTR = {
  MEMINFO: 1,
  INFO: 2,
  VEGASINFO: 3,
  CONG: 4,
  TOS: 5,
  TCLASS: 6,
  SKMEMINFO: 7,
  SHUTDOWN: 8,
  SKV6ONLY: 11,
  MARK: 15,
  BBRINFO: 16,
  CLASS_ID: 17,
  CGROUP_ID: 21,
} as const;

/** u64 values that pass 2^53 in practice: decimal strings in JSON.
 * (max_pacing_rate is ~0 for every socket without SO_MAX_PACING_RATE.) */
export const BIG_AS_STRING = new Set(['idiag_cookie', 'ts_ns', 'tcpi_pacing_rate', 'tcpi_max_pacing_rate']);

/** Which attribute a column comes from (absent attribute -> absent field). */
const FROM_ATTR: Record<string, number> = {
  mark: ATTR.MARK,
  class_id: ATTR.CLASS_ID,
  cgroup_id: ATTR.CGROUP_ID,
  tos: ATTR.TOS,
  tclass: ATTR.TCLASS,
  shutdown: ATTR.SHUTDOWN,
  v6only: ATTR.SKV6ONLY,
};
for (const c of POLL_COLUMNS) {
  if (c.name.startsWith('skmem_')) FROM_ATTR[c.name] = ATTR.SKMEMINFO;
  if (/^idiag_[rwft]mem$/.test(c.name)) FROM_ATTR[c.name] = ATTR.MEMINFO;
  if (c.name.startsWith('bbr_')) FROM_ATTR[c.name] = ATTR.BBRINFO;
}

const HEAD = [
  'idiag_family',
  'idiag_state',
  'idiag_timer',
  'idiag_retrans',
  'idiag_expires',
  'idiag_rqueue',
  'idiag_wqueue',
  'idiag_uid',
  'idiag_inode',
  'idiag_cookie',
  'idiag_if',
];
const AFTER_ADDR = ['ts_ns', 'tos', 'tclass', 'mark', 'class_id', 'shutdown', 'v6only', 'cgroup_id'];
/** Internal columns that are not socket fields. */
const INTERNAL = new Set(['attrs', 'tcpi_len', 'src', 'dst', 'sport', 'dport', 'netns_inode', 'cong']);

const byName = new Map(POLL_COLUMNS.map((c) => [c.name, c]));
const listed = new Set([...HEAD, ...AFTER_ADDR]);
const rest = POLL_COLUMNS.filter((c) => !listed.has(c.name) && !INTERNAL.has(c.name) && c.tcpiEnd === 0);
const tcpi = POLL_COLUMNS.filter((c) => c.tcpiEnd > 0).sort((a, b) => a.tcpiEnd - b.tcpiEnd);
/** Output order: identity, addresses, socket attributes, memory, BBR, tcp_info in struct order. */
const TAIL = [...AFTER_ADDR.map((n) => byName.get(n)!), ...rest, ...tcpi];
const HEAD_COLS = HEAD.map((n) => byName.get(n)!);

export interface RowContext {
  netns: string;
  names: readonly string[];
}

export type SocketRecord = Record<string, number | string>;

function put(rec: SocketRecord, b: PollBatch, name: string, type: string, i: number): void {
  if (type === 'u64') {
    const v = b.u64(name)[i]!;
    rec[name] = BIG_AS_STRING.has(name) ? v.toString() : Number(v);
  } else {
    rec[name] = (b.views[name] as Uint8Array | Uint16Array | Uint32Array)[i]!;
  }
}

export function rowToRecord(b: PollBatch, i: number, ctx: RowContext): SocketRecord {
  const rec: SocketRecord = {};
  const attrs = b.u32('attrs')[i]!;
  const tlen = attrs & (1 << ATTR.INFO) ? b.u16('tcpi_len')[i]! : 0;
  const fam = b.u8('idiag_family')[i]!;
  for (const c of HEAD_COLS) put(rec, b, c.name, c.type, i);
  rec.src = formatAddress(fam, b.b16('src', i));
  rec.sport = b.u16('sport')[i]!;
  rec.dst = formatAddress(fam, b.b16('dst', i));
  rec.dport = b.u16('dport')[i]!;
  rec.netns = ctx.netns;
  rec.netns_inode = Number(b.u64('netns_inode')[i]!);
  if (attrs & (1 << ATTR.CONG)) {
    const id = b.u16('cong')[i]!;
    rec.cong = ctx.names[id - 1] ?? (id === 0 ? '' : '?');
  }
  for (const c of TAIL) {
    if (c.tcpiEnd > 0) {
      if (tlen < c.tcpiEnd) continue;
    } else {
      const bit = FROM_ATTR[c.name];
      if (bit !== undefined && !(attrs & (1 << bit))) continue;
    }
    put(rec, b, c.name, c.type, i);
  }
  return rec;
}
