// Run count and kernel time of the BPF programs this process holds (the
// events and samples views' programs), read at scrape time. The kernel only
// counts them while run-time stats are on: we turn them on through
// BPF_ENABLE_STATS, whose fd scopes it to our lifetime instead of flipping
// the global kernel.bpf_stats_enabled sysctl for every program on the host.
import * as fs from 'fs';
import { bpfStatsAddon, type BpfProgRunStats } from '../native/bpf_stats';

export interface BpfStatsReading {
  enabled: boolean;
  /** one entry per program name (same-named programs summed) */
  programs: BpfProgRunStats[];
  /** program loads tried again after EAGAIN (the verifier interrupted by a signal), every view's */
  loadRetries: number;
}

export class BpfProgStats {
  private statsFd = -1;
  /** why run-time stats could not be turned on (e.g. "EPERM ..."), if they could not */
  readonly error: string | undefined;

  constructor() {
    try {
      this.statsFd = bpfStatsAddon().enable();
    } catch (e) {
      const sysctl = readSysctl();
      this.error = sysctl ? undefined : `${(e as NodeJS.ErrnoException).code ?? 'EUNKNOWN'}: ${(e as Error).message}`;
    }
  }

  get enabled(): boolean {
    return this.statsFd >= 0 || readSysctl();
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
    return { enabled: this.enabled, programs: [...byName.values()], loadRetries: bpf.loadRetries() };
  }

  /** Turns our share of run-time accounting off. Idempotent. */
  close(): void {
    if (this.statsFd >= 0) fs.closeSync(this.statsFd);
    this.statsFd = -1;
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
