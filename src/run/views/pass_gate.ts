// When a costly periodic pass (the task samples, the socket owners) may be
// skipped: nothing it depends on moved since the last one (a counter the
// caller names: flows opened, events read), and the last one is younger than
// the longest the caller lets a pass wait. Skips are counted.
export class PassGate {
  /** ticks that ran no pass */
  skipped = 0;
  private last = -1;
  private lastMs = -Infinity;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** True (and counted) when `activity` is what the last pass saw and it ran less than maxIdleMs ago. */
  idle(activity: number, maxIdleMs: number): boolean {
    if (activity !== this.last || this.now() - this.lastMs >= maxIdleMs) return false;
    this.skipped++;
    return true;
  }

  /** A tick that runs no pass, though `activity` moved: what moved was covered
   * by the last pass (counted as skipped; the age of the last pass stands). */
  covered(activity: number): void {
    this.last = activity;
    this.skipped++;
  }

  /** A pass runs now, having seen `activity`. */
  ran(activity: number): void {
    this.last = activity;
    this.lastMs = this.now();
  }
}
