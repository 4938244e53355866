// A source's watch(cb) in a test: armed, and its calls counted.
import { expect } from 'chai';
import { scaled } from './time_scale';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface WatchCalls {
  /** how many times the callback ran so far */
  readonly count: number;
  /** resolves once the callback has run, or after `timeoutMs` without (scaled:
   * a guard against a hang, and a starved qemu guest wakes late) */
  first(timeoutMs?: number): Promise<void>;
}

/** Arms `src.watch()` (with `gathered` when given), asserting that it armed, and counts the calls of its callback. */
export function armWatch(src: { watch(wake: () => void, gathered?: boolean): boolean }, what = 'armed', gathered?: boolean): WatchCalls {
  let count = 0;
  expect(gathered === undefined ? src.watch(() => count++) : src.watch(() => count++, gathered), what).to.equal(true);
  return {
    get count() {
      return count;
    },
    async first(timeoutMs = 2000) {
      const t0 = performance.now(),
        limit = scaled(timeoutMs);
      while (!count && performance.now() - t0 < limit) await sleep(10);
    },
  };
}
