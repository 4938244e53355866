// Run count and kernel time of the BPF programs this process holds (the
// events and samples views' programs), read at scrape time. The kernel only
// counts them while run-time stats are on: we turn them on through
// BPF_ENABLE_STATS, whose fd scopes it to the time we hold it (closing it, or
// dying, turns it off) instead of flipping the kernel.bpf_stats_enabled
// sysctl. While any holder has it, though, the kernel times every BPF program
// of the host, ours or not (two clock reads a run: +0.08-0.16 µs here,
// bench/metrics; on a churn it cost more than the events program itself,
// bench/events). So by default it is held in windows (FOR of every EVERY):
// the counters advance only then, and the time held is exported beside them.
import * as fs from 'fs';
import { bpfStatsAddon, type BpfProgRunStats } from '../native/bpf_stats';

/** held FOR ms of every EVERY ms */
export interface StatsWindow {
  forMs: number;
  everyMs: number;
}

export interface BpfStatsReading {
  enabled: boolean;
  /** seconds we held run-time stats on so far */
  heldSeconds: number;
  /** one entry per program name (same-named programs summed) */
  programs: BpfProgRunStats[];
  /** program loads tried again after EAGAIN (the verifier interrupted by a signal), every view's */
  loadRetries: number;
}

export class BpfProgStats {
  private statsFd = -1;
  /** why run-time stats could not be turned on (e.g. "EPERM ..."), if they could not */
  readonly error: string | undefined;
  private heldMs = 0;
  private heldSince = 0;
  private timers: NodeJS.Timeout[] = [];

  /** window: held in windows (the first one now); none: held until close().
   * A window that cannot be held (EPERM: CAP_SYS_ADMIN dropped after the start,
   * as with --netns host) ends the windows and is told to windowFailed. */
  constructor(window?: StatsWindow, windowFailed?: (e: NodeJS.ErrnoException) => void) {
    try {
      this.hold();
    } catch (e) {
      const sysctl = readSysctl();
      this.error = sysctl ? undefined : `${(e as NodeJS.ErrnoException).code ?? 'EUNKNOWN'}: ${(e as Error).message}`;
      return;
    }
    if (!window) return;
    const release = (): void => {
      const t = setTimeout(() => this.release(), window.forMs);
      t.unref();
      this.timers[1] = t;
    };
    release();
    const every = setInterval(() => {
      try {
        this.hold();
        release();
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code !== 'EPERM') return; // e.g. EMFILE: this window is skipped, the next one tries again
        this.close();
        windowFailed?.(err);
      }
    }, window.everyMs);
    every.unref();
    this.timers[0] = every;
  }

  private hold(): void {
    if (this.statsFd >= 0) return;
    this.statsFd = bpfStatsAddon().enable();
    this.heldSince = performance.now();
  }

  private release(): void {
    if (this.statsFd < 0) return;
    fs.closeSync(this.statsFd);
    this.statsFd = -1;
    this.heldMs += performance.now() - this.heldSince;
  }

  get enabled(): boolean {
    return this.statsFd >= 0 || readSysctl();
  }

  /** seconds we held run-time stats on so far */
  get heldSeconds(): number {
    return (this.heldMs + (this.statsFd >= 0 ? performance.now() - this.heldSince : 0)) / 1000;
  }

  read(): BpfStatsReading {
    const byName = new Map<string, BpfProgRunStats>();
    const ids = new Set<number>();
    const bpf = bpfStatsAddon();
    for (const fd of ownBpfProgFds()) {
      const s = bpf.progStats(fd);
      if (!s || ids.has(s.id)) continue; // several fds may hold one program
      ids.add(s.id);
      const prev = byName.get(s.name);
      if (prev) {
        prev.runCnt += s.runCnt;
        prev.runTimeNs += s.runTimeNs;
      } else byName.set(s.name, { ...s });
    }
    return { enabled: this.enabled, heldSeconds: this.heldSeconds, programs: [...byName.values()], loadRetries: bpf.loadRetries() };
  }

  /** Turns our share of run-time accounting off, windows too. Idempotent. */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    this.release();
  }
}

function readSysctl(): boolean {
  try {
    return fs.readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

/** fds of this process that are BPF programs (readlink: anon_inode:bpf-prog). */
function ownBpfProgFds(): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${name}`) === 'anon_inode:bpf-prog') out.push(Number(name));
    } catch {
      /* closed meanwhile */
    }
  }
  return out;
}
