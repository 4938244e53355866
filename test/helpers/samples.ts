// Shared by the samples view's tests: the thread workload and the reason a
// test of the samples view cannot run here.
import { sampleAvailability } from '../../src/sources/samples';
import { isRoot, startPython } from './netns';

export interface SampleThread {
  role: 'recv' | 'busy' | 'idle';
  tid: number;
  sport?: number;
  dport?: number;
  fd?: number;
}

export interface SampleWorkloadInfo {
  pid: number;
  listener: number;
  threads: SampleThread[];
}

const SCRIPT = `${__dirname}/../../../test/helpers/sample_workload.py`;

/** Starts test/helpers/sample_workload.py (inside `netns` when given). */
export function startSampleWorkload(netns: string | null, spec: { recv?: number; busy?: boolean; idle?: boolean }) {
  return startPython<SampleWorkloadInfo>(SCRIPT, netns, spec);
}

/** null when the samples view can run here, else why not (for skip messages). */
export function samplesSkipReason(): string | null {
  if (!isRoot()) return 'needs root (network namespaces, eBPF)';
  const a = sampleAvailability();
  return a.ok ? null : a.reason;
}
