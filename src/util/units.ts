// One parser per kind of value, so "8m" and "500ms" mean the same to every
// flag and spec: durations ("1s", "250ms", "2m", "1h", "1.5s", "250us") and
// sizes ("8m", "256MiB", "1GB", "1048576").
import { usage } from './errors';

const TIME: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or null when `text` is not a finite duration. A bare number is in `bare` units. */
export function durationMs(text: string, bare: 's' | 'ms' = 's'): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|m|h)?\s*$/.exec(String(text));
  const ms = m ? Number(m[1]) * TIME[m[2] ?? bare]! : NaN;
  // 400 nines are digits too: Infinity would become a 1 ms timer (Node clamps it)
  return Number.isFinite(ms) ? ms : null;
}

/** A flag's duration in ms, greater than zero; else a one-line usage error. A bare number is seconds. */
export function parseDuration(text: string, flag = 'duration'): number {
  const ms = durationMs(text);
  if (ms === null) throw usage(`--${flag}: "${text}" is not a duration (examples: 500ms, 1s, 2m)`);
  if (!(ms > 0)) throw usage(`--${flag}: must be greater than zero`);
  return ms;
}

// k, m, g (and KiB, MiB, GiB) are powers of 1024, as ss, dd and systemd read
// them; KB, MB, GB spelt out are powers of 1000.
const SIZE: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  ki: 1024,
  kib: 1024,
  kb: 1e3,
  m: 1024 ** 2,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1e6,
  g: 1024 ** 3,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1e9,
};

/** Bytes, or null when `text` is not a size (or not a safe integer of bytes). */
export function sizeBytes(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(String(text));
  const unit = m ? SIZE[m[2]!.toLowerCase()] : undefined;
  const n = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : NaN;
  return Number.isSafeInteger(n) ? n : null;
}

/** A flag's size in bytes; else a one-line usage error. */
export function parseSize(text: string, flag: string): number {
  const n = sizeBytes(text);
  if (n === null) throw usage(`${flag}: a size like 8m, 256MiB, 1GB or 1048576 expected, got '${text}'`);
  return n;
}

/** A ring buffer's size: a power of two between 4k and 1g. */
export function parseRingBytes(text: string, flag = '--ring-bytes'): number {
  const n = sizeBytes(text);
  if (n === null || n < 4096 || n > 1024 ** 3 || (n & (n - 1)) !== 0) {
    throw usage(`${flag}: "${text}" must be a power of two between 4k and 1g (e.g. 64k, 8m)`);
  }
  return n;
}

/** A share of one in (0, 1]: "90%", "0.9", "1%"; else a one-line usage error. */
export function parseShare(text: string | number, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(String(text));
  const x = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!(x > 0 && x <= 1)) throw usage(`--${flag}: a share in (0, 1] like 0.9 or 90% expected, got '${text}'`);
  return x;
}
