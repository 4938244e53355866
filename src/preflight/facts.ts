// Everything the checks are decided from, gathered once: cheap file reads and
// the real probes. Kept apart from checks.ts so the decisions stay pure.
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
  };
}
