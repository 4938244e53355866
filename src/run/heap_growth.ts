// How far V8 lets the old space grow past its live size before the next full
// GC. Under node's default heap limit (GBs) V8 picks up to ~4x: in a burst,
// closed flows' records and flow rows promoted by scavenges took the old space
// from 23 MB live to 90 MB between two full GCs, and ArrayBuffers freed
// meanwhile waited for the same GC (bench/burst: peak RSS 217 MB median, up to
// 269). 1.3x is what V8 picks itself under the DaemonSet's 320 MB heap limit
// (heap-controller.h). V8 reads the flag at each GC, so setting it from the
// process takes effect; a --heap-growing-percent of the user's own is kept.
import * as v8 from 'v8';

export const HEAP_GROWING_PERCENT = 30;

/** The flag capHeapGrowth() sets for node's arguments `argv`: null where the
 * user gave a --heap-growing-percent of their own. */
export function heapGrowthFlag(argv: readonly string[]): string | null {
  if (argv.some((a) => /^--heap[-_]growing[-_]percent\b/.test(a))) return null;
  return `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}

/** Caps V8's heap growing factor at 1 + HEAP_GROWING_PERCENT / 100 unless node
 * was started with a --heap-growing-percent; returns the flag set, or null. */
export function capHeapGrowth(
  argv: readonly string[] = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)],
): string | null {
  const flag = heapGrowthFlag(argv);
  if (flag) v8.setFlagsFromString(flag);
  return flag;
}
