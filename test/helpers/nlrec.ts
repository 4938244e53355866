// A small, independent reader and writer of recorded netlink dumps
// ([u32 length LE][chunk bytes]...), for building corrupt variants of good
// fixtures in tests. It knows only the netlink framing (nlmsghdr, rtattr), not
// tcplens' parser.
import * as fs from 'fs';
import * as path from 'path';

export const NLMSG_HDRLEN = 16;
export const NLMSG_DONE = 3;
export const NLMSG_ERROR = 2;
export const SOCK_DIAG_BY_FAMILY = 20;
export const INET_DIAG_MSG_LEN = 72; // struct inet_diag_msg
export const RTA_HDRLEN = 4;

export const align4 = (n: number): number => (n + 3) & ~3;

export interface Attr {
  /** absolute offset of the rtattr header in the recording */
  off: number;
  len: number;
  type: number;
}

export interface Msg {
  /** absolute offset of the nlmsghdr in the recording */
  off: number;
  len: number;
  type: number;
  chunk: number;
  attrs: Attr[];
}

export interface Chunk {
  /** absolute offset of the chunk's 4-byte length prefix */
  prefix: number;
  /** absolute offset of the chunk's first byte */
  off: number;
  len: number;
}

export interface Walk {
  chunks: Chunk[];
  msgs: Msg[];
  /** socket messages only, in order: row i of a good decode is sockets[i] */
  sockets: Msg[];
}

/** Walks a well-formed recording; throws on anything malformed (fixtures are good). */
export function walk(rec: Uint8Array): Walk {
  const dv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  const chunks: Chunk[] = [];
  const msgs: Msg[] = [];
  let p = 0;
  while (p < rec.length) {
    if (p + 4 > rec.length) throw new Error(`recording: trailing ${rec.length - p} bytes`);
    const n = dv.getUint32(p, true);
    const c: Chunk = { prefix: p, off: p + 4, len: n };
    if (c.off + n > rec.length) throw new Error('recording: chunk past the end');
    chunks.push(c);
    let m = c.off;
    while (m < c.off + n) {
      const len = dv.getUint32(m, true);
      const type = dv.getUint16(m + 4, true);
      if (len < NLMSG_HDRLEN || m + len > c.off + n) throw new Error(`recording: bad nlmsg_len ${len} at ${m}`);
      const msg: Msg = { off: m, len, type, chunk: chunks.length - 1, attrs: [] };
      if (type === SOCK_DIAG_BY_FAMILY) {
        let a = m + NLMSG_HDRLEN + INET_DIAG_MSG_LEN;
        while (a + RTA_HDRLEN <= m + len) {
          const alen = dv.getUint16(a, true);
          if (alen < RTA_HDRLEN || a + alen > m + len) throw new Error(`recording: bad rta_len ${alen} at ${a}`);
          msg.attrs.push({ off: a, len: alen, type: dv.getUint16(a + 2, true) });
          a += align4(alen);
        }
      }
      msgs.push(msg);
      m += align4(len);
    }
    p = c.off + n;
  }
  return { chunks, msgs, sockets: msgs.filter((x) => x.type === SOCK_DIAG_BY_FAMILY) };
}

/** Frames chunks as a recording. */
export function frame(chunks: readonly Uint8Array[]): Uint8Array {
  const total = chunks.reduce((s, c) => s + 4 + c.length, 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  let p = 0;
  for (const c of chunks) {
    dv.setUint32(p, c.length, true);
    out.set(c, p + 4);
    p += 4 + c.length;
  }
  return out;
}

/** Builds one rtattr (padded to 4). */
export function rtattr(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(align4(RTA_HDRLEN + payload.length));
  const dv = new DataView(out.buffer);
  dv.setUint16(0, RTA_HDRLEN + payload.length, true);
  dv.setUint16(2, type, true);
  out.set(payload, RTA_HDRLEN);
  return out;
}

/** Sets nlmsg_len of a message built from header+body parts. */
function withLen(parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((s, x) => s + x.length, 0);
  const out = new Uint8Array(len);
  let p = 0;
  for (const x of parts) {
    out.set(x, p);
    p += x.length;
  }
  new DataView(out.buffer).setUint32(0, len, true);
  return out;
}

/**
 * Rewrites a recording message by message. `edit(msg, bytes)` returns the new
 * bytes of a socket message (or null to drop it); `editAttr(msg, attr, payload)`
 * returns a new payload for an attribute (or null to drop it). Chunk and
 * message lengths are recomputed, so the result is well framed.
 */
export function rewrite(
  rec: Uint8Array,
  w: Walk,
  opts: {
    editAttr?: (msg: Msg, attr: Attr, payload: Uint8Array) => Uint8Array | null;
    edit?: (msg: Msg, bytes: Uint8Array) => Uint8Array | null;
  },
): Uint8Array {
  const chunks: Uint8Array[] = w.chunks.map(() => new Uint8Array(0));
  const parts: Uint8Array[][] = w.chunks.map(() => []);
  for (const m of w.msgs) {
    let bytes: Uint8Array | null = rec.slice(m.off, m.off + m.len);
    if (m.type === SOCK_DIAG_BY_FAMILY && opts.editAttr) {
      const head = rec.slice(m.off, m.off + NLMSG_HDRLEN + INET_DIAG_MSG_LEN);
      const attrs: Uint8Array[] = [];
      for (const a of m.attrs) {
        const np = opts.editAttr(m, a, rec.slice(a.off + RTA_HDRLEN, a.off + a.len));
        if (np) attrs.push(rtattr(a.type, np));
      }
      bytes = withLen([head, ...attrs]);
    }
    if (m.type === SOCK_DIAG_BY_FAMILY && opts.edit) bytes = opts.edit(m, bytes);
    if (bytes) {
      const padded = new Uint8Array(align4(bytes.length));
      padded.set(bytes);
      parts[m.chunk]!.push(padded);
    }
  }
  for (let i = 0; i < chunks.length; i++) {
    const len = parts[i]!.reduce((s, x) => s + x.length, 0);
    const c = new Uint8Array(len);
    let p = 0;
    for (const x of parts[i]!) {
      c.set(x, p);
      p += x.length;
    }
    chunks[i] = c;
  }
  return frame(chunks);
}

export const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures');

export interface ExpectedSocket {
  cookie: string;
  src: string;
  dst: string;
  cong: string | null;
  cols: Record<string, number>;
  spec: Record<string, number | string>;
}

export interface Expectation {
  rows: number;
  chunks: number;
  congNames: string[];
  sockets: ExpectedSocket[];
}

/** Loads NAME.bin and NAME.expect.json (tabular: `fields` name each row's values). */
export function loadFixture(name: string): { rec: Uint8Array; exp: Expectation } {
  const rec = new Uint8Array(fs.readFileSync(path.join(FIXTURES, `${name}.bin`)));
  const raw = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.expect.json`), 'utf8')) as {
    rows: number;
    chunks: number;
    congNames: string[];
    fields: string[];
    sockets: unknown[][];
  };
  const f = raw.fields;
  const sockets = raw.sockets.map((row) => {
    const s: ExpectedSocket = { cookie: '', src: '', dst: '', cong: null, cols: {}, spec: {} };
    f.forEach((name, i) => {
      const v = row[i];
      if (name === 'cookie' || name === 'src' || name === 'dst') s[name] = v as string;
      else if (name === 'cong') s.cong = v as string | null;
      else if (name === 'spec') s.spec = v as Record<string, number | string>;
      else if (v !== null) s.cols[name] = v as number;
    });
    return s;
  });
  return { rec, exp: { rows: raw.rows, chunks: raw.chunks, congNames: raw.congNames, sockets } };
}

/** Text address (IPv4 dotted or IPv6, as ss prints it) -> 16 bytes as in inet_diag_sockid. */
export function addrBytes(text: string): Uint8Array {
  const out = new Uint8Array(16);
  if (!text.includes(':')) {
    text.split('.').forEach((x, i) => {
      out[i] = Number(x);
    });
    return out;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const hs = head ? head.split(':') : [];
  const ts = tail ? tail.split(':') : [];
  const groups = tail === undefined ? hs : [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
  groups.forEach((g, i) => {
    out[2 * i] = parseInt(g, 16) >> 8;
    out[2 * i + 1] = parseInt(g, 16) & 0xff;
  });
  return out;
}

/** Seeded PRNG (mulberry32): the same corruptions on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
