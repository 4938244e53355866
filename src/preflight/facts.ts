// Everything the checks are decided from, gathered once: cheap file reads and
// the real probes. Kept apart from checks.ts so the decisions stay pure.
import * as fs from 'fs';
import { discoverAll } from '../netns/discover';
import { readCapEff } from './caps';
import { hasBtf, kernelVersion, type KernelVersion } from './kernel';
import { readLimits, type Limits } from './limits';
import { readMounts, type MountFacts } from './mounts';
import { runProbes, type Probes } from './probes';

export interface Facts {
  kernel: KernelVersion;
  capEff: bigint;
  limits: Limits;
  mounts: MountFacts;
  btf: boolean;
  probes: Probes;
  /** /proc/PID/ns/net entries we could not stat right now */
  unreadableProcNetns: number;
  /** kernel.bpf_stats_enabled (per-program run time and count); null: unknown */
  bpfStats?: boolean | null;
}

export const BPF_STATS_SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';

function readBpfStats(): boolean | null {
  try {
    return fs.readFileSync(BPF_STATS_SYSCTL, 'utf8').trim() !== '0';
  } catch {
    return null;
  }
}

function unreadableNow(): number {
  try {
    return discoverAll().unreadable;
  } catch {
    return 0;
  }
}

export function gatherFacts(): Facts {
  return {
    kernel: kernelVersion(),
    capEff: readCapEff(),
    limits: readLimits(),
    mounts: readMounts(),
    btf: hasBtf(),
    probes: runProbes(),
    unreadableProcNetns: unreadableNow(),
    bpfStats: readBpfStats(),
  };
}
