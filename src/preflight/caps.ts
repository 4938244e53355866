// The effective capability set, all 64 bits: CAP_PERFMON (38) and CAP_BPF (39)
// sit above bit 31, so the mask is a BigInt, never a Number.
import * as fs from 'fs';

export const CAP = {
  DAC_READ_SEARCH: 2,
  NET_ADMIN: 12,
  SYS_PTRACE: 19,
  SYS_ADMIN: 21,
  SYS_RESOURCE: 24,
  PERFMON: 38,
  BPF: 39,
} as const;

export type CapName = keyof typeof CAP;

/** `CapEff:\t000001fffeffffff` from a /proc/PID/status text; null when absent. */
export function parseCapEff(status: string): bigint | null {
  const m = /^CapEff:\s*([0-9a-fA-F]{1,16})\s*$/m.exec(status);
  return m ? BigInt(`0x${m[1]}`) : null;
}

export function hasCap(set: bigint, bit: number): boolean {
  return ((set >> BigInt(bit)) & 1n) === 1n;
}

/** `CAP_NET_ADMIN` style names of the capabilities in `names` that `set` lacks. */
export function missingCaps(set: bigint, names: readonly CapName[]): string[] {
  return names.filter((n) => !hasCap(set, CAP[n])).map((n) => `CAP_${n}`);
}

/** This process's CapEff. /proc/self/status describes the main thread, whose
 * set the native probes' threads inherit. */
export function readCapEff(file = '/proc/self/status'): bigint {
  const set = parseCapEff(fs.readFileSync(file, 'utf8'));
  if (set === null) throw new Error(`${file}: no CapEff line`);
  return set;
}
