// The inet_diag parser (native/diag_parse.c) replaying recorded dumps
// (test/fixtures/*.bin, recorded by scripts/record-fixture.js). What a good
// recording must decode to comes from ss in the recording namespace
// (*.expect.json) and from the netlink framing read by test/helpers/nlrec.ts;
// corrupt variants are built here from the good recordings.
import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { addon, type ReplayResult } from '../../src/native/addon';
import { PollBatch, TYPE_WIDTH } from '../../src/layout/batch';
import {
  addrBytes,
  align4,
  frame,
  loadFixture,
  prng,
  rewrite,
  walk,
  INET_DIAG_MSG_LEN,
  NLMSG_HDRLEN,
  RTA_HDRLEN,
  type Expectation,
  type Walk,
} from '../helpers/nlrec';

const NS = 4026532999;
const TCP_INFO_LEN = 280; // struct tcp_info of the recording kernel (Linux 6.18)
const INET_DIAG_INFO = 2;

interface Decoded {
  b: PollBatch;
  r: ReplayResult;
}

function decode(rec: Uint8Array, capacity = 2048, into?: PollBatch): Decoded {
  const b = into ?? new PollBatch(capacity);
  const r = addon().replay(rec, b.buffer, b.capacity, NS);
  b.rows = r.rows;
  return { b, r };
}

function colBytes(b: PollBatch, name: string, row: number, n = 1): Buffer {
  const c = b.columns.find((x) => x.name === name)!;
  const w = TYPE_WIDTH[c.type];
  return Buffer.from(b.buffer, c.offset + row * w, n * w);
}

/** First column whose rows [ai, ai+n) of a differ from rows [bi, bi+n) of b, or null. */
function diffRows(a: PollBatch, ai: number, b: PollBatch, bi: number, n: number, skip: readonly string[] = []): string | null {
  if (n <= 0) return null;
  for (const c of a.columns) {
    if (skip.includes(c.name)) continue;
    if (!colBytes(a, c.name, ai, n).equals(colBytes(b, c.name, bi, n))) return c.name;
  }
  return null;
}

/** diffRows, but congestion control compared by name: dropping a row can renumber the dictionary. */
function diffDecoded(a: Decoded, ai: number, b: Decoded, bi: number, n: number, skip: readonly string[] = []): string | null {
  const d = diffRows(a.b, ai, b.b, bi, n, [...skip, 'cong']);
  if (d !== null || skip.includes('cong')) return d;
  const ca = a.b.u16('cong');
  const cb = b.b.u16('cong');
  for (let k = 0; k < n; k++) {
    const na = ca[ai + k] ? a.r.names[ca[ai + k]! - 1] : null;
    const nb = cb[bi + k] ? b.r.names[cb[bi + k]! - 1] : null;
    if (na !== nb) return `cong (row ${ai + k}: ${na} vs ${nb})`;
  }
  return null;
}

/** Value of one cell as a number (u64 as Number: fixture values are small). */
function cell(b: PollBatch, name: string, row: number): number {
  const v = b.views[name]!;
  const x = v[row]!;
  return typeof x === 'bigint' ? Number(x) : x;
}

function attrMask(attrs: { type: number }[]): number {
  return attrs.reduce((m, a) => (a.type < 32 ? (m | (1 << a.type)) >>> 0 : m), 0);
}

/** What a cut of the recording at byte k must decode to (framing read by nlrec). */
function expectCut(w: Walk, k: number, total: number): { rows: number; framing: number; parse: number } {
  const rows = w.sockets.filter((m) => m.off + m.len <= k).length;
  if (k >= total || w.chunks.some((c) => c.prefix === k)) return { rows, framing: 0, parse: 0 };
  // Cut inside a chunk's data, not between two messages: a partial message.
  const ci = w.chunks.findIndex((x) => k > x.off && k < x.off + x.len);
  const partial = ci >= 0 && !w.msgs.some((m) => m.chunk === ci && (m.off === k || (k >= m.off + m.len && k < m.off + align4(m.len))));
  return { rows, framing: 1, parse: partial ? 1 : 0 };
}

for (const name of ['small', 'large']) {
  describe(`replay of the ${name} recorded dump`, function () {
    this.timeout(120_000);
    let rec: Uint8Array;
    let exp: Expectation;
    let w: Walk;
    let good: Decoded;
    let rowOf: Map<string, number>;

    before(() => {
      ({ rec, exp } = loadFixture(name));
      w = walk(rec);
      good = decode(rec);
      rowOf = new Map();
      for (let i = 0; i < good.b.rows; i++) rowOf.set(good.b.u64('idiag_cookie')[i]!.toString(), i);
    });

    it('is a real multi-chunk recording of the size ss saw', () => {
      expect(w.chunks.length).to.equal(exp.chunks);
      expect(w.sockets.length).to.equal(exp.rows);
      if (name === 'large') expect(w.chunks.filter((c) => c.len > 16 * 1024).length).to.be.greaterThan(8);
    });

    it('decodes every socket ss listed, once, with no error counted', () => {
      expect(good.r.rows).to.equal(exp.rows);
      expect(good.r.full).to.equal(false);
      expect(good.r.parseErrors).to.equal(0);
      expect(good.r.framingErrors).to.equal(0);
      expect(good.r.shortInfo).to.equal(0);
      expect(good.r.dumpIntr).to.equal(0);
      expect(good.r.messages).to.equal(w.msgs.length);
      expect(rowOf.size).to.equal(exp.rows);
      expect([...rowOf.keys()].sort()).to.deep.equal(exp.sockets.map((s) => s.cookie).sort());
    });

    it('decodes the fields ss printed, and what the workload set', () => {
      let checked = 0;
      for (const s of exp.sockets) {
        const i = rowOf.get(s.cookie)!;
        for (const [col, v] of Object.entries(s.cols)) {
          expect(cell(good.b, col, i), `${col} of socket ${s.cookie}`).to.equal(v);
          checked++;
        }
        const fam = s.cols.idiag_family;
        const srcWant = addrBytes(s.src);
        const dstWant = addrBytes(s.dst);
        expect(Buffer.from(good.b.b16('src', i)).equals(Buffer.from(srcWant)), `src of ${s.cookie}`).to.equal(true);
        expect(Buffer.from(good.b.b16('dst', i)).equals(Buffer.from(dstWant)), `dst of ${s.cookie}`).to.equal(true);
        expect(fam === 2 || fam === 10).to.equal(true);
        const cong = good.b.u16('cong')[i]!;
        if (s.cong === null) expect(cong, `cong of ${s.cookie}`).to.equal(0);
        else expect(good.r.names[cong - 1], `cong of ${s.cookie}`).to.equal(s.cong);
        for (const [k, v] of Object.entries(s.spec)) {
          if (k === 'cong') expect(good.r.names[cong - 1]).to.equal(v);
          else expect(cell(good.b, k, i), `${k} (workload spec) of ${s.cookie}`).to.equal(v);
          checked++;
        }
        expect(good.b.u64('netns_inode')[i]).to.equal(BigInt(NS));
        expect(good.b.u64('ts_ns')[i]).to.equal(0n);
      }
      expect(checked).to.be.greaterThan(exp.rows * 5);
    });

    it('has exactly the congestion names ss saw, each once', () => {
      expect([...good.r.names].sort()).to.deep.equal(exp.congNames);
      expect(new Set(good.r.names).size).to.equal(good.r.names.length);
    });

    it('agrees with the netlink framing: attrs bitmask, tcpi_len, header fields per row', () => {
      w.sockets.forEach((m, i) => {
        expect(good.b.u32('attrs')[i], `attrs of row ${i}`).to.equal(attrMask(m.attrs));
        const info = m.attrs.find((a) => a.type === INET_DIAG_INFO);
        expect(good.b.u16('tcpi_len')[i]).to.equal(info ? Math.min(info.len - RTA_HDRLEN, TCP_INFO_LEN) : 0);
        const dv = new DataView(rec.buffer, rec.byteOffset + m.off + NLMSG_HDRLEN);
        expect(good.b.u8('idiag_family')[i]).to.equal(dv.getUint8(0));
        expect(good.b.u8('idiag_state')[i]).to.equal(dv.getUint8(1));
        expect(good.b.u16('sport')[i]).to.equal(dv.getUint16(4, false));
        expect(good.b.u16('dport')[i]).to.equal(dv.getUint16(6, false));
        const cookie = BigInt(dv.getUint32(44, true)) | (BigInt(dv.getUint32(48, true)) << 32n);
        expect(good.b.u64('idiag_cookie')[i]).to.equal(cookie);
        expect(good.b.u32('idiag_inode')[i]).to.equal(dv.getUint32(68, true));
      });
      // TIME-WAIT sockets carry no tcp_info; established ones carry all of it.
      expect(w.sockets.some((m) => !m.attrs.some((a) => a.type === INET_DIAG_INFO))).to.equal(true);
    });

    it('decodes the same columns with a capacity smaller than the socket count (full, rows == capacity)', () => {
      for (const cap of [1, 5, exp.rows - 1]) {
        const d = decode(rec, cap);
        expect(d.r.full, `capacity ${cap}`).to.equal(true);
        expect(d.r.rows).to.equal(cap);
        expect(diffRows(d.b, 0, good.b, 0, cap)).to.equal(null);
      }
      const exact = decode(rec, exp.rows);
      expect(exact.r.full).to.equal(false);
      expect(exact.r.rows).to.equal(exp.rows);
      expect(diffRows(exact.b, 0, good.b, 0, exp.rows)).to.equal(null);
    });

    it('decodes a cut recording up to the cut, and counts the cut (many cut points)', () => {
      const points = new Set<number>();
      for (const c of w.chunks) for (const d of [0, 1, 2, 3, 4, 5]) points.add(c.prefix + d);
      for (const m of w.msgs) {
        for (const d of [0, 1, 3, 4, 15, 16, 17, 20, 87, 88, 89, 92, 100, m.len - 1]) if (d < m.len) points.add(m.off + d);
        for (const a of m.attrs) for (const d of [0, 1, 2, 3, 4, 5, a.len - 1]) points.add(a.off + d);
        if (name === 'large' && points.size > 6000) break;
      }
      const stride = name === 'small' ? 7 : 997;
      for (let k = 0; k < rec.length; k += stride) points.add(k);
      points.add(rec.length);
      const scratch = new PollBatch(2048);
      let withErr = 0;
      for (const k of [...points].sort((a, b) => a - b)) {
        const want = expectCut(w, k, rec.length);
        const d = decode(rec.subarray(0, k), 2048, scratch);
        const at = `cut at ${k}/${rec.length}`;
        expect(d.r.rows, at).to.equal(want.rows);
        expect(d.r.framingErrors, at).to.equal(want.framing);
        expect(d.r.parseErrors, at).to.equal(want.parse);
        expect(diffRows(d.b, 0, good.b, 0, want.rows), at).to.equal(null);
        if (want.framing + want.parse > 0) withErr++;
      }
      expect(withErr).to.be.greaterThan(points.size / 2);
    });
  });
}

describe('replay of corrupt recordings (built from the small dump)', function () {
  this.timeout(120_000);
  let rec: Uint8Array;
  let w: Walk;
  let good: Decoded;

  before(() => {
    rec = loadFixture('small').rec;
    w = walk(rec);
    good = decode(rec);
  });

  const u32at = (r: Uint8Array, off: number, v: number): void => new DataView(r.buffer, r.byteOffset).setUint32(off, v, true);
  const u16at = (r: Uint8Array, off: number, v: number): void => new DataView(r.buffer, r.byteOffset).setUint16(off, v, true);
  /** a socket message with at least `n` attributes, not the last of its chunk */
  const richMsg = (n: number) => w.sockets.find((m) => m.attrs.length >= n && w.msgs[w.msgs.indexOf(m) + 1]?.chunk === m.chunk)!;

  it('every header field and attribute lands in its column at the kernel UAPI position (patterned messages)', () => {
    // Every socket message rewritten with a byte pattern (per row) in its
    // inet_diag_msg and in every attribute payload but CONG; the expected columns are read from
    // the pattern at the offsets of include/uapi/linux/{inet_diag,sock_diag,tcp}.h
    // (tcp_info: tcpiEnd, which layout.test.ts checks against the kernel's BTF).
    const row = new Map(w.sockets.map((x, i) => [x, i]));
    const patOf =
      (j: number) =>
      (type: number, len: number): Uint8Array =>
        Uint8Array.from({ length: len }, (_, k) => (k * 7 + type * 13 + j * 31 + 1) & 0xff);
    const bad = rewrite(rec, w, {
      editAttr: (x, a, p) => (a.type !== 4 /* CONG */ ? patOf(row.get(x)!)(a.type, p.length) : p),
      edit: (x, bytes) => {
        bytes.set(patOf(row.get(x)!)(99, INET_DIAG_MSG_LEN), NLMSG_HDRLEN);
        return bytes;
      },
    });
    const d = decode(bad);
    expect(d.r.parseErrors).to.equal(0);
    expect(d.r.rows).to.equal(good.r.rows);
    const seen = new Set<number>();
    let checked = 0;
    w.sockets.forEach((m, j) => {
      const pat = patOf(j);
      for (const a of m.attrs) seen.add(a.type);
      const dv = (type: number, len: number): DataView => new DataView(pat(type, len).buffer);
      const want: Record<string, number | bigint> = {};
      const h = dv(99, INET_DIAG_MSG_LEN);
      Object.assign(want, {
        idiag_family: h.getUint8(0),
        idiag_state: h.getUint8(1),
        idiag_timer: h.getUint8(2),
        idiag_retrans: h.getUint8(3),
        sport: h.getUint16(4, false),
        dport: h.getUint16(6, false),
        idiag_if: h.getUint32(40, true),
        idiag_cookie: BigInt(h.getUint32(44, true)) | (BigInt(h.getUint32(48, true)) << 32n),
        idiag_expires: h.getUint32(52, true),
        idiag_rqueue: h.getUint32(56, true),
        idiag_wqueue: h.getUint32(60, true),
        idiag_uid: h.getUint32(64, true),
        idiag_inode: h.getUint32(68, true),
      });
      expect(Buffer.from(d.b.b16('src', j)).equals(Buffer.from(pat(99, 72).subarray(8, 24)))).to.equal(true);
      expect(Buffer.from(d.b.b16('dst', j)).equals(Buffer.from(pat(99, 72).subarray(24, 40)))).to.equal(true);
      const u32s = (type: number, names: string[]): void => {
        const a = m.attrs.find((x) => x.type === type);
        if (!a) return;
        const v = dv(type, a.len - RTA_HDRLEN);
        names.forEach((n, k) => {
          want[n] = v.getUint32(4 * k, true);
        });
      };
      u32s(1, ['idiag_rmem', 'idiag_wmem', 'idiag_fmem', 'idiag_tmem']);
      u32s(7, [
        'skmem_rmem_alloc',
        'skmem_rcvbuf',
        'skmem_wmem_alloc',
        'skmem_sndbuf',
        'skmem_fwd_alloc',
        'skmem_wmem_queued',
        'skmem_optmem',
        'skmem_backlog',
        'skmem_drops',
      ]);
      u32s(16, ['bbr_bw_lo', 'bbr_bw_hi', 'bbr_min_rtt', 'bbr_pacing_gain', 'bbr_cwnd_gain']);
      u32s(15, ['mark']);
      u32s(17, ['class_id']);
      for (const [type, col] of [
        [5, 'tos'],
        [6, 'tclass'],
        [8, 'shutdown'],
        [11, 'v6only'],
      ] as const) {
        if (m.attrs.some((x) => x.type === type)) want[col] = dv(type, 1).getUint8(0);
      }
      if (m.attrs.some((x) => x.type === 21)) want.cgroup_id = dv(21, 8).getBigUint64(0, true);
      const info = m.attrs.find((x) => x.type === INET_DIAG_INFO);
      if (info) {
        // not on TIME-WAIT rows
        const ti = dv(INET_DIAG_INFO, info.len - RTA_HDRLEN);
        for (const c of d.b.columns.filter((x) => x.tcpiEnd > 0 && x.tcpiEnd > 8)) {
          const w8 = TYPE_WIDTH[c.type];
          const at = c.tcpiEnd - w8;
          want[c.name] =
            w8 === 8 ? ti.getBigUint64(at, true) : w8 === 4 ? ti.getUint32(at, true) : w8 === 2 ? ti.getUint16(at, true) : ti.getUint8(at);
        }
        for (const n of ['tcpi_state', 'tcpi_ca_state', 'tcpi_retransmits', 'tcpi_probes', 'tcpi_backoff', 'tcpi_options']) {
          want[n] = ti.getUint8(d.b.columns.find((x) => x.name === n)!.tcpiEnd - 1);
        }
        // bit-fields (uapi tcp.h, little-endian bit order): byte 6 = snd_wscale:4 | rcv_wscale:4,
        // byte 7 = delivery_rate_app_limited:1 | fastopen_client_fail:2
        want.tcpi_snd_wscale = ti.getUint8(6) & 0x0f;
        want.tcpi_rcv_wscale = ti.getUint8(6) >> 4;
        want.tcpi_delivery_rate_app_limited = ti.getUint8(7) & 1;
        want.tcpi_fastopen_client_fail = (ti.getUint8(7) >> 1) & 3;
      }
      for (const [n, v] of Object.entries(want)) {
        const got = d.b.views[n]![j]!;
        expect(got, `row ${j} ${n}`).to.equal(typeof got === 'bigint' ? BigInt(v) : Number(v));
        checked++;
      }
    });
    // The patterns reached every kind of attribute the kernel sent, INFO and BBRINFO included.
    for (const t of [1, 2, 7, 16]) expect(seen.has(t), `attribute type ${t} in the recording`).to.equal(true);
    expect(checked).to.be.greaterThan(good.r.rows * 20);
  });

  it('a chunk length past the end of the recording: framing error, every row still decoded', () => {
    const bad = rec.slice();
    const last = w.chunks[w.chunks.length - 1]!;
    u32at(bad, last.prefix, last.len + 1000);
    const d = decode(bad);
    expect(d.r.framingErrors).to.equal(1);
    expect(d.r.parseErrors).to.equal(0);
    expect(d.r.rows).to.equal(good.r.rows);
    expect(diffRows(d.b, 0, good.b, 0, good.r.rows)).to.equal(null);
  });

  it('a chunk length cut short: rows before the damage intact, errors counted, no crash', () => {
    for (let ci = 0; ci < w.chunks.length; ci++) {
      const c = w.chunks[ci]!;
      for (const cut of [1, 2, 4, 17, 100, c.len - 1]) {
        if (cut > c.len) continue;
        const bad = rec.slice();
        u32at(bad, c.prefix, c.len - cut);
        const d = decode(bad);
        const intact = w.sockets.filter((m) => m.off + m.len <= c.off + c.len - cut).length;
        expect(d.r.rows, `chunk ${ci} short by ${cut}`).to.be.at.least(intact);
        expect(diffRows(d.b, 0, good.b, 0, intact)).to.equal(null);
        const end = c.off + c.len - cut;
        const onBoundary = end === c.off || w.msgs.some((m) => m.chunk === ci && m.off === end);
        // The new end lands inside a message: that one is counted as malformed.
        if (!onBoundary) expect(d.r.parseErrors + d.r.framingErrors, `chunk ${ci} short by ${cut}`).to.be.greaterThan(0);
      }
    }
  });

  it('a message length that overflows its chunk: the rest of that chunk is dropped and counted, later chunks decode', () => {
    const m = richMsg(3);
    const j = w.sockets.indexOf(m);
    const c = w.chunks[m.chunk]!;
    const inChunkFromJ = w.sockets.filter((x) => x.chunk === m.chunk && x.off >= m.off).length;
    for (const len of [c.off + c.len - m.off + 4, 0x7fffffff, 0xffffffff, 8, 0]) {
      const bad = rec.slice();
      u32at(bad, m.off, len);
      const d = decode(bad);
      const at = `nlmsg_len ${len}`;
      expect(d.r.parseErrors, at).to.equal(1);
      expect(d.r.framingErrors, at).to.equal(0);
      expect(d.r.rows, at).to.equal(good.r.rows - inChunkFromJ);
      expect(diffRows(d.b, 0, good.b, 0, j), at).to.equal(null);
      expect(diffDecoded(d, j, good, j + inChunkFromJ, good.r.rows - j - inChunkFromJ), at).to.equal(null);
    }
  });

  it('a message too short for inet_diag_msg is skipped and counted; its neighbours decode', () => {
    const m = richMsg(3);
    const j = w.sockets.indexOf(m);
    for (const keep of [NLMSG_HDRLEN, NLMSG_HDRLEN + 4, NLMSG_HDRLEN + INET_DIAG_MSG_LEN - 4]) {
      const bad = rewrite(rec, w, {
        edit: (x, bytes) => {
          if (x !== m) return bytes;
          const s = bytes.slice(0, keep);
          new DataView(s.buffer).setUint32(0, keep, true);
          return s;
        },
      });
      const d = decode(bad);
      expect(d.r.parseErrors, `keep ${keep}`).to.equal(1);
      expect(d.r.rows).to.equal(good.r.rows - 1);
      expect(diffRows(d.b, 0, good.b, 0, j)).to.equal(null);
      expect(diffDecoded(d, j, good, j + 1, good.r.rows - j - 1)).to.equal(null);
    }
  });

  it('an attribute with rta_len < 4 or past the message: row kept with the attributes before it, error counted', () => {
    const m = richMsg(5);
    const j = w.sockets.indexOf(m);
    for (const ai of [0, 2, m.attrs.length - 1]) {
      const a = m.attrs[ai]!;
      const before = m.attrs.slice(0, ai);
      const msgEnd = m.off + m.len;
      for (const rlen of [0, 1, 3, msgEnd - a.off + 1, 0xffff]) {
        const bad = rec.slice();
        u16at(bad, a.off, rlen);
        const d = decode(bad);
        const at = `attr ${ai} (type ${a.type}) rta_len ${rlen}`;
        expect(d.r.parseErrors, at).to.equal(1);
        expect(d.r.rows, at).to.equal(good.r.rows);
        expect(d.b.u32('attrs')[j], at).to.equal(attrMask(before));
        expect(diffRows(d.b, 0, good.b, 0, j), at).to.equal(null);
        expect(diffDecoded(d, j + 1, good, j + 1, good.r.rows - j - 1), at).to.equal(null);
        // The same row as a well-formed message holding only the attributes before the bad one.
        const ref = decode(rewrite(rec, w, { editAttr: (x, y, p) => (x === m && m.attrs.indexOf(y) >= ai ? null : p) }));
        expect(ref.r.parseErrors).to.equal(0);
        expect(diffDecoded(d, j, ref, j, 1), at).to.equal(null);
        if (ai === 0) {
          expect(d.b.u16('tcpi_len')[j]).to.equal(0);
          expect(d.b.u16('cong')[j]).to.equal(0);
          expect(d.b.u32('skmem_rcvbuf')[j]).to.equal(0);
          expect(
            diffDecoded(d, j, good, j, 1, [
              ...d.b.columns
                .map((c) => c.name)
                .filter((n) => !['idiag_cookie', 'sport', 'dport', 'src', 'dst', 'idiag_inode', 'idiag_state', 'idiag_family'].includes(n)),
            ]),
          ).to.equal(null);
        }
      }
    }
  });

  // Fixed-size attributes whose payload is too short read as absent: columns zero, bit cleared, counted.
  const FIXED: Record<number, string[]> = {
    1: ['idiag_rmem', 'idiag_wmem', 'idiag_fmem', 'idiag_tmem'], // INET_DIAG_MEMINFO
    5: ['tos'],
    6: ['tclass'],
    8: ['shutdown'],
    11: ['v6only'], // TOS TCLASS SHUTDOWN SKV6ONLY
    15: ['mark'],
    17: ['class_id'],
    21: ['cgroup_id'], // MARK CLASS_ID CGROUP_ID
    16: ['bbr_bw_lo', 'bbr_bw_hi', 'bbr_min_rtt', 'bbr_pacing_gain', 'bbr_cwnd_gain'], // BBRINFO
  };
  it('a fixed-size attribute with a short payload reads as absent and is counted', () => {
    let cases = 0;
    for (const [t, cols] of Object.entries(FIXED)) {
      const type = Number(t);
      // prefer a row where the value is non-zero, so "zeroed" can fail
      const cands = w.sockets.filter((m) => m.attrs.some((a) => a.type === type));
      if (cands.length === 0) continue;
      const m = cands.find((x) => cols.some((c) => cell(good.b, c, w.sockets.indexOf(x)) !== 0)) ?? cands[0]!;
      const j = w.sockets.indexOf(m);
      for (const keep of [0, 1, 3].filter((k) => k < m.attrs.find((a) => a.type === type)!.len - RTA_HDRLEN)) {
        if (keep >= 1 && (type === 5 || type === 6 || type === 8 || type === 11)) continue; // 1 byte is enough there
        const d = decode(rewrite(rec, w, { editAttr: (x, a, p) => (x === m && a.type === type ? p.slice(0, keep) : p) }));
        const at = `attr type ${type} payload ${keep}`;
        expect(d.r.parseErrors, at).to.equal(1);
        expect(d.r.rows, at).to.equal(good.r.rows);
        expect(d.b.u32('attrs')[j], at).to.equal((good.b.u32('attrs')[j]! & ~(1 << type)) >>> 0);
        for (const c of cols) expect(cell(d.b, c, j), `${at}: ${c}`).to.equal(0);
        expect(diffDecoded(d, j, good, j, 1, ['attrs', ...cols]), at).to.equal(null);
        expect(diffRows(d.b, 0, good.b, 0, j), at).to.equal(null);
        expect(diffDecoded(d, j + 1, good, j + 1, good.r.rows - j - 1), at).to.equal(null);
        cases++;
      }
    }
    expect(cases).to.be.at.least(5);
  });

  it('a tcp_info shorter than ours (older kernel): rows decode, tcpi_len short, members past it zero, counted', () => {
    const withInfo = w.sockets.filter((m) => m.attrs.some((a) => a.type === INET_DIAG_INFO)).length;
    expect(withInfo).to.be.greaterThan(10);
    const tcpiCols = good.b.columns.filter((c) => c.tcpiEnd > 0);
    // 104: Linux 4.1 (pacing rates), 160: 4.6 (segs), 192: 4.10, 232: 5.4, 248: 6.2, 272: 6.13-ish, 2: nonsense
    for (const len of [2, 8, 104, 160, 192, 232, 248, 272]) {
      const d = decode(rewrite(rec, w, { editAttr: (_m, a, p) => (a.type === INET_DIAG_INFO ? p.slice(0, len) : p) }));
      const at = `tcp_info of ${len} bytes`;
      expect(d.r.rows, at).to.equal(good.r.rows);
      expect(d.r.parseErrors, at).to.equal(0);
      expect(d.r.shortInfo, at).to.equal(withInfo);
      w.sockets.forEach((m, i) => {
        const has = m.attrs.some((a) => a.type === INET_DIAG_INFO);
        expect(d.b.u16('tcpi_len')[i], at).to.equal(has ? len : 0);
      });
      for (const c of tcpiCols) {
        const n = good.r.rows;
        if (c.tcpiEnd > len) {
          expect(
            colBytes(d.b, c.name, 0, n).every((x) => x === 0),
            `${at}: ${c.name} (ends at ${c.tcpiEnd}) must be zero`,
          ).to.equal(true);
        } else {
          expect(colBytes(d.b, c.name, 0, n).equals(colBytes(good.b, c.name, 0, n)), `${at}: ${c.name}`).to.equal(true);
        }
      }
      expect(diffRows(d.b, 0, good.b, 0, good.r.rows, ['tcpi_len', ...tcpiCols.map((c) => c.name)]), at).to.equal(null);
    }
    // Some tcp_info members were non-zero in the good decode past 104 bytes, so "zero" above could fail.
    expect(tcpiCols.filter((c) => c.tcpiEnd > 104).some((c) => colBytes(good.b, c.name, 0, good.r.rows).some((x) => x !== 0))).to.equal(
      true,
    );
  });

  it('a tcp_info longer than ours (newer kernel): our members decode, the rest is ignored', () => {
    const d = decode(
      rewrite(rec, w, {
        editAttr: (_m, a, p) => {
          if (a.type !== INET_DIAG_INFO) return p;
          const q = new Uint8Array(p.length + 24).fill(0xab);
          q.set(p);
          return q;
        },
      }),
    );
    expect(d.r.parseErrors).to.equal(0);
    expect(d.r.shortInfo).to.equal(0);
    expect(diffRows(d.b, 0, good.b, 0, good.r.rows)).to.equal(null);
  });

  /** An NLMSG_ERROR message carrying nlmsgerr.error = `error` (kernel: -errno). */
  const errorMsg = (error: number): Uint8Array => {
    const m = new Uint8Array(NLMSG_HDRLEN + 20);
    const dv = new DataView(m.buffer);
    dv.setUint32(0, m.length, true);
    dv.setUint16(4, 2 /* NLMSG_ERROR */, true);
    dv.setInt32(NLMSG_HDRLEN, error, true);
    return m;
  };
  const chunkBytes = (i: number): Uint8Array => rec.subarray(w.chunks[i]!.off, w.chunks[i]!.off + w.chunks[i]!.len);
  const rowsIn = (chunks: number[]): number => w.sockets.filter((m) => chunks.includes(m.chunk)).length;

  it('a good recording: both families end in NLMSG_DONE, no error', () => {
    expect(good.r.dumpsDone).to.equal(2);
    expect(good.r.nlError).to.equal(false);
    expect(good.r.errno).to.equal(0);
  });

  it('an NLMSG_ERROR ends the replay as it ends a live dump: rows before it stand, nothing after it is read (fuzz finding)', () => {
    const all = w.chunks.map((_, i) => chunkBytes(i));
    const d = decode(frame([all[0]!, errorMsg(-16 /* EBUSY */), ...all.slice(1)]));
    expect(d.r.rows)
      .to.equal(rowsIn([0]))
      .and.to.be.greaterThan(0);
    expect(d.r.nlError).to.equal(true);
    expect(d.r.errno).to.equal(16);
    expect(d.r.code).to.equal('EBUSY');
    expect(diffRows(d.b, 0, good.b, 0, d.r.rows)).to.equal(null);
    // the error nlmsgerr cannot negate (INT_MIN: undefined behaviour before the fix) reads as EPROTO
    const odd = decode(frame([all[0]!, errorMsg(-0x80000000), ...all.slice(1)]));
    expect(odd.r.rows).to.equal(rowsIn([0]));
    expect(odd.r.code).to.equal('EPROTO');
  });

  it('headers at any byte offset decode as aligned ones (unaligned reads: fuzz finding)', () => {
    for (const shift of [1, 2, 3]) {
      // the whole recording at an odd address
      const buf = new Uint8Array(rec.length + shift);
      buf.set(rec, shift);
      const d = decode(buf.subarray(shift));
      expect(d.r.rows, `shift ${shift}`).to.equal(good.r.rows);
      expect(diffRows(d.b, 0, good.b, 0, good.r.rows), `shift ${shift}`).to.equal(null);
    }
    // chunk 0 one byte longer: every later chunk (and its messages) starts off by one
    const all = w.chunks.map((_, i) => chunkBytes(i));
    const longer = new Uint8Array(all[0]!.length + 1);
    longer.set(all[0]!);
    const d = decode(frame([longer, ...all.slice(1)]));
    expect(d.r.rows).to.equal(good.r.rows);
    expect(d.r.parseErrors).to.equal(1); // the stray byte: a fragment shorter than a header
    expect(diffRows(d.b, 0, good.b, 0, good.r.rows)).to.equal(null);
  });

  it('a NOOP message in the middle is skipped; an early NLMSG_DONE ends its chunk; neither is an error', () => {
    const m = richMsg(3);
    const j = w.sockets.indexOf(m);
    const inChunkFromJ = w.sockets.filter((x) => x.chunk === m.chunk && x.off >= m.off).length;
    for (const [type, lost] of [
      [1 /* NLMSG_NOOP */, 1],
      [3 /* NLMSG_DONE */, inChunkFromJ],
    ] as const) {
      const bad = rec.slice();
      new DataView(bad.buffer).setUint16(m.off + 4, type, true);
      const d = decode(bad);
      expect(d.r.rows, `type ${type}`).to.equal(good.r.rows - lost);
      expect(d.r.parseErrors).to.equal(0);
      expect(diffRows(d.b, 0, good.b, 0, j)).to.equal(null);
      expect(diffDecoded(d, j, good, j + lost, good.r.rows - j - lost)).to.equal(null);
    }
  });
});

/** Flips random bytes (half of them in length fields) and checks what must hold whatever the damage. */
function fuzz(rec: Uint8Array, w: Walk, good: Decoded, iterations: number, seed: number): { errs: number; changed: number } {
  const rnd = prng(seed);
  const cap = good.r.rows + 64;
  const scratch = new PollBatch(cap);
  let errs = 0;
  let changed = 0;
  for (let it = 0; it < iterations; it++) {
    const bad = rec.slice();
    const flips = 1 + Math.floor(rnd() * 4);
    let first = bad.length;
    for (let f = 0; f < flips; f++) {
      let off: number;
      if (rnd() < 0.5) {
        const m = w.msgs[Math.floor(rnd() * w.msgs.length)]!;
        const a = m.attrs.length && rnd() < 0.5 ? m.attrs[Math.floor(rnd() * m.attrs.length)]!.off : m.off;
        off = a + Math.floor(rnd() * 4);
      } else if (rnd() < 0.1) {
        off = w.chunks[Math.floor(rnd() * w.chunks.length)]!.prefix + Math.floor(rnd() * 4);
      } else {
        off = Math.floor(rnd() * bad.length);
      }
      bad[off]! ^= 1 + Math.floor(rnd() * 255);
      first = Math.min(first, off);
    }
    const d = decode(bad, cap, scratch);
    const intact = w.sockets.filter((m) => m.off + m.len <= first).length;
    const at = `iteration ${it} (seed ${seed})`;
    expect(d.r.rows, at).to.be.at.most(cap);
    expect(d.r.rows, at).to.be.at.least(intact);
    expect(d.r.messages, at).to.be.at.least(d.r.rows);
    expect(d.r.names.length, at).to.be.at.most(64);
    expect(diffRows(d.b, 0, good.b, 0, intact), at).to.equal(null);
    const tl = d.b.u16('tcpi_len');
    const cong = d.b.u16('cong');
    for (let i = 0; i < d.r.rows; i++) {
      if (tl[i]! > TCP_INFO_LEN) expect.fail(`${at}: row ${i} tcpi_len ${tl[i]}`);
      if (cong[i] !== 0xffff && cong[i]! > d.r.names.length) expect.fail(`${at}: row ${i} cong id ${cong[i]} of ${d.r.names.length} names`);
    }
    if (d.r.parseErrors + d.r.framingErrors > 0) errs++;
    if (d.r.rows !== good.r.rows || diffRows(d.b, 0, good.b, 0, d.r.rows) !== null) changed++;
  }
  return { errs, changed };
}

describe('replay of randomly damaged recordings (seeded fuzz)', function () {
  this.timeout(300_000);
  for (const [name, iterations] of [
    ['small', 4000],
    ['large', 300],
  ] as const) {
    it(`${name}: ${iterations} damaged copies never crash; rows before the first flip equal the good decode`, () => {
      const { rec } = loadFixture(name);
      const w = walk(rec);
      const good = decode(rec);
      const { errs, changed } = fuzz(rec, w, good, iterations, 0x7c91e3);
      // The flips did reach the error paths and did change decodes.
      expect(errs).to.be.greaterThan(iterations / 10);
      expect(changed).to.be.greaterThan(iterations / 2);
    });
  }
});

describe('replay argument checks', () => {
  it('rejects a buffer too small for the capacity, and a non-Uint8Array recording', () => {
    const b = new PollBatch(4);
    expect(() => addon().replay(new Uint8Array(0), b.buffer, 5)).to.throw(RangeError);
    expect(() => addon().replay([] as unknown as Uint8Array, b.buffer, 4)).to.throw(TypeError);
    const r = addon().replay(new Uint8Array(0), b.buffer, 4);
    expect(r.rows).to.equal(0);
    expect(r.framingErrors + r.parseErrors).to.equal(0);
  });
});

describe('the parser under AddressSanitizer and UBSan (native/diag_parse.c, damaged recordings)', function () {
  this.timeout(300_000);
  const root = path.resolve(__dirname, '..', '..', '..');
  let exe = '';

  before(function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlfuzz-'));
    exe = path.join(dir, 'parse_fuzz');
    try {
      // alignment included: a damaged chunk length puts headers at odd offsets, and the
      // parser copies every header out instead of reading through a cast pointer
      execFileSync(
        'cc',
        [
          '-O1',
          '-g',
          '-fsanitize=address,undefined',
          '-fno-sanitize-recover=all',
          '-I',
          path.join(root, 'native'),
          path.join(root, 'test', 'native', 'parse_fuzz.c'),
          path.join(root, 'native', 'diag_parse.c'),
          path.join(root, 'native', 'batch.c'),
          '-o',
          exe,
        ],
        { stdio: 'pipe' },
      );
    } catch (e) {
      const why = (e as { stderr?: Buffer }).stderr?.toString().split('\n')[0] || (e as Error).message;
      console.log(`    skipped: cannot build the sanitizer harness (${why})`);
      this.skip();
    }
  });

  after(() => {
    if (exe) fs.rmSync(path.dirname(exe), { recursive: true, force: true });
  });

  for (const [name, iterations] of [
    ['small', 20000],
    ['large', 400],
  ] as const) {
    it(`${name}: ${iterations} damaged copies, no out-of-bounds access or undefined behaviour`, () => {
      const { exp } = loadFixture(name);
      const out = execFileSync(exe, [path.join(root, 'test', 'fixtures', `${name}.bin`), String(iterations), '0x5eed'], {
        encoding: 'utf8',
        env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0' },
      });
      const good = /good rows=(\d+) errors=(\d+)/.exec(out);
      const fz = /fuzz iterations=(\d+) rows=(\d+) errors=(\d+)/.exec(out);
      expect(good, out).to.not.equal(null);
      expect(Number(good![1])).to.equal(exp.rows);
      expect(Number(good![2])).to.equal(0);
      expect(Number(fz![1])).to.equal(iterations);
      expect(Number(fz![3])).to.be.greaterThan(iterations / 10);
    });
  }
});
