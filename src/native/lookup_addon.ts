// The addon's DiagLookup (native/napi_lookup.cc): exact-match inet_diag
// requests for single sockets, by 4-tuple and cookie, in one namespace.
import { addon, type DumpStats } from './addon';

/** bytes of one request (struct tl_lookup_req in native/diag_lookup.h) */
export const LOOKUP_REQ_BYTES = 48;

export interface LookupResult {
  /** rows written to the batch */
  rows: number;
  /** per request: its row in the batch, or -errno (-ENOENT: no such socket; -ESTALE: another socket holds the tuple) */
  status: Int32Array;
  /** non-zero when the socket failed; requests not answered carry it in status */
  errno: number;
  code?: string;
  /** congestion-control names first seen, ids continue the dictionary */
  names: string[];
}

export interface DiagLookup {
  readonly netnsInode: number;
  readonly closed: boolean;
  lookup(requests: ArrayBuffer, n: number, buffer: ArrayBuffer, capacity: number, ext: number): Promise<LookupResult>;
  stats(): DumpStats;
  close(): void;
}

export const diagLookupClass = (): new (netnsPath?: string | null) => DiagLookup =>
  (addon() as unknown as { DiagLookup: new (netnsPath?: string | null) => DiagLookup }).DiagLookup;

/** Writes request i (struct tl_lookup_req: src[16], dst[16], cookie u64, sport u16, dport u16, family u8). */
export function putLookupReq(
  dv: DataView,
  i: number,
  r: { src: Uint8Array; dst: Uint8Array; cookie: bigint; sport: number; dport: number; family: number },
): void {
  const o = i * LOOKUP_REQ_BYTES;
  const bytes = new Uint8Array(dv.buffer, dv.byteOffset + o, LOOKUP_REQ_BYTES);
  bytes.fill(0);
  bytes.set(r.src.subarray(0, 16), 0);
  bytes.set(r.dst.subarray(0, 16), 16);
  // 0 = no cookie known: INET_DIAG_NOCOOKIE (~0) matches any socket with the tuple
  dv.setBigUint64(o + 32, r.cookie === 0n ? 0xffff_ffff_ffff_ffffn : r.cookie, true);
  dv.setUint16(o + 40, r.sport, true);
  dv.setUint16(o + 42, r.dport, true);
  dv.setUint8(o + 44, r.family);
}
