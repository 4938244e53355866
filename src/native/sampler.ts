// Typed face of the samples view's part of the addon (native/napi_sampler.cc),
// kept apart from addon.ts so views can be merged independently.
import { addon, type NativeLayout, type ViewPart } from './addon';

export type SamplePass = 'tasks' | 'owners';

export interface SampleFillResult {
  rows: number;
  /** the iterator reached its end and every record was delivered */
  done: boolean;
  errno: number;
  code?: string;
  /** comm names first seen in this batch; ids continue the dictionary (id = index + 1) */
  names: string[];
}

export interface SamplerStats {
  iterations: number;
  taskPasses: number;
  ownerPasses: number;
  /** wall time of the passes (read() on the iterator runs the BPF programs) */
  durationNs: number;
  /** CPU of the reading thread during the passes: user + kernel, BPF programs included */
  cpuNs: number;
  records: number;
  bytes: number;
  /** records with an unknown kind or size, or a truncated tail: skipped */
  malformed: number;
  rows: number;
  batches: number;
  /** times a batch filled up and the pass continued into the next batch */
  carried: number;
  /** records lost (a pass abandoned before its end) */
  dropped: number;
  readErrors: number;
  /** comm names past the dictionary's 65535: written as id 0 */
  commOverflow: number;
  /** BPF side: threads looked at, records written, bpf_seq_write failures */
  tasksSeen: number;
  tasksEmitted: number;
  writeErrors: number;
  /** sockets the owners pass left out, threads the task sampler left out: their namespace is not watched (watchNetns) */
  ownersSkipped: number;
  tasksSkipped: number;
  /** kernel run time and runs of each BPF program: 0 unless opened with
   * runStats (or kernel.bpf_stats_enabled is on) */
  bpfRunNsTasks: number;
  bpfRunsTasks: number;
  bpfRunNsOwners: number;
  bpfRunsOwners: number;
}

export interface NativeSampler {
  readonly closed: boolean;
  /** what became of each part at load ([] for a replay sampler) */
  readonly parts: ViewPart[];
  begin(pass: SamplePass): { seq: number; tsNs: bigint };
  /** a pass over recorded iterator output (a `{ replay: true }` sampler) */
  beginFile(pass: SamplePass, path: string): void;
  fill(buffer: ArrayBuffer, capacity: number): Promise<SampleFillResult>;
  stats(): SamplerStats;
  /** only these namespaces are watched ([]: every one): the owners pass writes their sockets, the task
   * sampler their threads (and threads blocked on their sockets); false: too many to filter in the kernel */
  watchNetns(inodes: number[]): boolean;
  close(): void;
}

export interface SamplerAddon {
  sampleLayout(pass: SamplePass, capacity: number): NativeLayout;
  /** '' when the addon was built with the task_sampler skeleton, else why not */
  samplerUnbuilt(): string;
  /** loads and attaches every part it can; throws a ViewLoadError (.code, .parts) when none loads */
  Sampler: new (opts: { tgid?: number; all?: boolean; replay?: boolean; runStats?: boolean; skipTgid?: number }) => NativeSampler;
}

export function samplerAddon(): SamplerAddon {
  return addon() as unknown as SamplerAddon;
}
