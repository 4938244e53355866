// Resource limits from /proc/self/limits (Node has no getrlimit).
import * as fs from 'fs';

export interface Limit {
  /** Infinity for "unlimited" */
  soft: number;
  hard: number;
}

export interface Limits {
  memlock: Limit | null;
  nofile: Limit | null;
}

const value = (s: string): number => (s === 'unlimited' ? Infinity : Number(s));

/** Rows look like `Max open files            20000                20000                files`. */
export function parseLimits(text: string): Map<string, Limit> {
  const out = new Map<string, Limit>();
  for (const line of text.split('\n')) {
    const m = /^(Max [A-Za-z ]+?)\s{2,}(\d+|unlimited)\s+(\d+|unlimited)/.exec(line);
    if (m) out.set(m[1]!, { soft: value(m[2]!), hard: value(m[3]!) });
  }
  return out;
}

export function readLimits(file = '/proc/self/limits'): Limits {
  const all = parseLimits(fs.readFileSync(file, 'utf8'));
  return { memlock: all.get('Max locked memory') ?? null, nofile: all.get('Max open files') ?? null };
}

/** 8388608 -> "8 MiB"; Infinity -> "unlimited". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return 'unlimited';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && n % 1024 === 0 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n} ${units[i]}`;
}

export const formatCount = (n: number): string => (Number.isFinite(n) ? String(n) : 'unlimited');
