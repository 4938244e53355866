// Typed face of native/napi_bpfstats.cc (exports.bpfStats), kept apart from
// addon.ts so the views' own additions there merge without conflict.
import { addon } from './addon';

export interface BpfProgRunStats {
  id: number;
  name: string;
  runTimeNs: number;
  runCnt: number;
}

export interface BpfStatsAddon {
  /** fd that keeps BPF run-time accounting on while open; throws (code EPERM, EINVAL...) */
  enable(): number;
  /** null when fd is not a BPF program */
  progStats(fd: number): BpfProgRunStats | null;
  /** a no-op socket filter "tl_selftest" (fd) and BPF_PROG_TEST_RUN of it */
  selftestLoad(): number;
  selftestRun(fd: number, repeat: number): void;
  /** BPF_PROG_LOAD answers that were EAGAIN (the verifier interrupted by a signal) and were tried again */
  loadRetries(): number;
}

export function bpfStatsAddon(): BpfStatsAddon {
  return (addon() as unknown as { bpfStats: BpfStatsAddon }).bpfStats;
}
