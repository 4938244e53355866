// Typed parameters of the saved questions: every value a user types is parsed
// into a typed value here (a number, a time, an address range, a string), and
// only the renderer (render.ts) turns typed values into SQL, as literals it
// writes itself. No text a user typed is ever spliced into a query as text.
import * as fs from 'fs';
import * as net from 'net';
import { durationMs } from '../util/units';
import { usage } from '../util/errors';
import { printable } from './literal';

/** A value ready to be rendered: its ClickHouse type and the value. */
export type Typed =
  | { type: 'UInt64'; value: bigint }
  | { type: 'String'; value: string }
  /** an inclusive range of 16-byte addresses (IPv4 mapped): a CIDR */
  | { type: 'AddrRange'; lo: Buffer; hi: Buffer };

const U64_MAX = (1n << 64n) - 1n;

/** A whole number 0..max from decimal digits only (no sign, no exponent, no hex). */
export function parseUInt(text: string, flag: string, max: bigint = U64_MAX): bigint {
  const t = String(text).trim();
  if (!/^\d{1,20}$/.test(t)) throw usage(`--${flag}: "${clip(text)}" is not a whole number`);
  const v = BigInt(t);
  if (v > max) throw usage(`--${flag}: ${t} is out of range (at most ${max})`);
  return v;
}

const DAY_MS = 86_400_000;

/** A point in time as unix seconds: relative ("90s", "15m", "1h", "7d": that
 * long before `nowMs`), unix seconds, or an ISO 8601 date/time (UTC unless it says). */
export function parseTime(text: string, flag: string, nowMs = Date.now()): bigint {
  const t = String(text).trim();
  const d = /^(\d+(?:\.\d+)?)d$/.exec(t);
  const rel = d ? Number(d[1]) * DAY_MS : /[a-z]$/.test(t) ? durationMs(t) : null;
  if (rel !== null) return BigInt(Math.floor((nowMs - rel) / 1000));
  if (/^\d{9,11}$/.test(t)) return BigInt(t);
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(t)) {
    const iso = t.replace(' ', 'T');
    const ms = Date.parse(/T.*(Z|[+-]\d{2}:?\d{2})$/.test(iso) || !iso.includes('T') ? iso : `${iso}Z`);
    if (Number.isFinite(ms) && ms >= 0) return BigInt(Math.floor(ms / 1000));
  }
  throw usage(`--${flag}: "${clip(text)}" is not a time (examples: 1h, 30m, 7d, 2026-12-04T10:00:00Z, 1764842400)`);
}

/** A duration in ns ("500ms", "2s", a bare number is seconds), > 0. */
export function parseDurationNs(text: string, flag: string): bigint {
  const ms = durationMs(String(text));
  if (ms === null || !(ms > 0)) throw usage(`--${flag}: "${clip(text)}" is not a duration greater than zero (examples: 500ms, 1s, 2m)`);
  return BigInt(Math.round(ms * 1e6));
}

/** An address or CIDR, v4 or v6, as the inclusive range of 16-byte (IPv4-mapped) addresses it covers. */
export function parsePeer(text: string, flag = 'peer'): Typed & { type: 'AddrRange' } {
  const t = String(text).trim();
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(t);
  const fam = m ? net.isIP(m[1]!) : 0;
  if (!m || fam === 0) throw usage(`--${flag}: "${clip(text)}" is not an address or CIDR (examples: 10.0.0.5, 10.0.0.0/8, 2001:db8::/32)`);
  const bits = m[2] === undefined ? (fam === 4 ? 32 : 128) : Number(m[2]);
  if (bits > (fam === 4 ? 32 : 128)) throw usage(`--${flag}: /${bits} is too long a prefix for IPv${fam}`);
  const addr = fam === 4 ? mapped4(m[1]!) : bytes6(m[1]!);
  const prefix = fam === 4 ? 96 + bits : bits;
  const lo = Buffer.from(addr),
    hi = Buffer.from(addr);
  for (let bit = prefix; bit < 128; bit++) {
    const byte = bit >> 3,
      mask = 0x80 >> (bit & 7);
    lo[byte] = lo[byte]! & ~mask;
    hi[byte] = hi[byte]! | mask;
  }
  return { type: 'AddrRange', lo, hi };
}

function mapped4(a: string): Buffer {
  const b = Buffer.alloc(16);
  b[10] = b[11] = 0xff;
  a.split('.').forEach((x, i) => (b[12 + i] = Number(x)));
  return b;
}

function bytes6(a: string): Buffer {
  // a trailing dotted quad (::ffff:1.2.3.4) becomes two groups
  const q = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  let s = a;
  if (q) {
    const v4 = mapped4(q[1]!);
    s = a.slice(0, -q[1]!.length) + `${v4.readUInt16BE(12).toString(16)}:${v4.readUInt16BE(14).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const hs = head ? head.split(':') : [];
  const ts = tail ? tail.split(':') : [];
  const groups = tail === undefined ? hs : [...hs, ...Array<string>(8 - hs.length - ts.length).fill('0'), ...ts];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), 2 * i));
  return b;
}

/** A cgroup: its v2 id, or a path of the cgroup v2 tree (its id is the directory's inode). */
export function parseCgroup(text: string, flag = 'cgroup'): bigint {
  const t = String(text).trim();
  if (/^\d+$/.test(t)) return parseUInt(t, flag);
  if (t.startsWith('/')) {
    for (const root of ['/sys/fs/cgroup/unified', '/sys/fs/cgroup']) {
      try {
        const st = fs.statSync(t.startsWith(root) ? t : root + t, { bigint: true });
        if (st.isDirectory()) return st.ino;
      } catch {
        /* next root */
      }
    }
  }
  throw usage(`--${flag}: "${clip(text)}" is neither a cgroup id nor a cgroup v2 directory`);
}

/** A network namespace: its inode, a name under /run/netns, or a path to a namespace file. */
export function parseNetns(text: string, flag = 'netns'): bigint {
  const t = String(text).trim();
  if (/^\d+$/.test(t)) return parseUInt(t, flag);
  const file = t.includes('/') ? t : /^[A-Za-z0-9_.-]+$/.test(t) ? `/run/netns/${t}` : '';
  try {
    if (file) return fs.statSync(file, { bigint: true }).ino;
  } catch {
    /* below */
  }
  throw usage(`--${flag}: "${clip(text)}" is neither a namespace inode nor a namespace under /run/netns`);
}

/** Free text (a command name, a host name): any bytes; the renderer quotes it. */
export function parseText(text: string, flag: string, maxLen = 256): string {
  const t = String(text);
  if (t.length === 0) throw usage(`--${flag}: empty`);
  if (t.length > maxLen) throw usage(`--${flag}: longer than ${maxLen} characters`);
  return t;
}

/** a user's text in an error message: short, one line */
function clip(s: string): string {
  const one = printable(String(s));
  return one.length > 60 ? `${one.slice(0, 57)}...` : one;
}
