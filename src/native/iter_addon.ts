// Typed face of the iterator poll's part of the addon (native/napi_iter.cc),
// kept apart from addon.ts so views can be merged independently.
import { addon, type FillResult, type ViewPart } from './addon';

/** Cumulative counters of the iterator poll. BPF side: sockets walked,
 * records written, sockets skipped as unchanged, bpf_seq_write failures;
 * bpfRunNs/bpfRuns stay 0 unless runStats (or kernel.bpf_stats_enabled). */
export interface IterPollStats {
  passes: number;
  /** passes that asked for every socket (or ran without change detection) */
  fullPasses: number;
  /** wall time and reading threads' CPU of begin + fills; the BPF program runs inside read() */
  durationNs: number;
  cpuNs: number;
  /** what was read, and what was lost: records of an unknown kind or size, read failures, a pass cut short */
  records: number;
  bytes: number;
  rows: number;
  batches: number;
  malformed: number;
  readErrors: number;
  dropped: number;
  /** host passes (--poll-via host); records of a socket already emitted through another fd; TCP socket files visited */
  hostPasses: number;
  hostDups: number;
  hostSeen: number;
  /** records that did not fit a read() buffer and were written again at the next one (not lost) */
  seqRetries: number;
  socksSeen: number;
  socksEmitted: number;
  socksUnchanged: number;
  writeErrors: number;
  bpfRunNs: number;
  bpfRuns: number;
}

export interface NativeIterPoll {
  readonly closed: boolean;
  readonly parts: ViewPart[];
  /** the variant running skips sockets idle since the previous pass (tcp_mstamp) */
  readonly detectsChanges: boolean;
  /** creates the iterator inside the namespace at path (null: ours); returns its inode.
   * unownedOnly: only the sockets no file holds (TIME_WAIT, requests, orphans) */
  begin(netnsPath: string | null, full: boolean, unownedOnly?: boolean): number;
  /** starts a host pass (iter/task_file): every socket a process holds, any namespace,
   * one namespace per batch (its netns_inode column) */
  beginHost(): void;
  fill(buffer: ArrayBuffer, capacity: number): Promise<FillResult>;
  stats(): IterPollStats;
  close(): void;
}

export interface IterAddon {
  /** the poll columns this view fills for a full socket; the others are zero */
  iterProvides(): string[];
  /** '' when the addon was built with the tcp_iter skeleton, else why not */
  iterUnbuilt(): string;
  /** loads the part in the first variant the kernel accepts; throws a ViewLoadError (.code, .parts) otherwise */
  IterPoll: new (opts: { runStats?: boolean }) => NativeIterPoll;
}

export function iterAddon(): IterAddon {
  return addon() as unknown as IterAddon;
}
