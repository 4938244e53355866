// Typed face of the native addon (native/*.cc). Everything crossing this
// boundary is buffers and counters, never per-socket objects.
import * as path from 'path';

export type ColumnType = 'u8' | 'u16' | 'u32' | 'u64' | 'b16';

export interface NativeColumn {
  name: string;
  type: ColumnType;
  offset: number;
  /** tcp_info members: end offset inside struct tcp_info; 0 otherwise. */
  tcpiEnd: number;
}

export interface NativeLayout {
  capacity: number;
  bytes: number;
  columns: NativeColumn[];
}

export interface ParseStats {
  messages: number;
  rows: number;
  parseErrors: number;
  shortInfo: number;
  dumpIntr: number;
  dictOverflow: number;
  foreign: number;
}

export interface DumpStats extends ParseStats {
  requests: number;
  recvs: number;
  bytes: number;
  eintr: number;
  enobufs: number;
  truncated: number;
  nlErrors: number;
  dumpsDone: number;
}

export interface FillResult {
  rows: number;
  done: boolean;
  /** non-zero when the dump failed; rows already written are valid */
  errno: number;
  code?: string;
  /** congestion-control names first seen in this batch, ids continue the dictionary */
  names: string[];
}

export interface BeginOptions {
  /** bit 0: AF_INET, bit 1: AF_INET6 */
  families?: number;
  /** TCPF_* state bitmask */
  states?: number;
  /** INET_DIAG_* extension bits */
  ext?: number;
  /** INET_DIAG_REQ_BYTECODE (src/filter/): kept for every later dump of this socket */
  bytecode?: Uint8Array;
}

export interface DiagSocket {
  readonly netnsInode: number;
  readonly closed: boolean;
  begin(opts: BeginOptions): void;
  fill(buffer: ArrayBuffer, capacity: number): Promise<FillResult>;
  stats(): DumpStats;
  names(): string[];
  tap(on: true): void;
  tap(on: false): Buffer;
  close(): void;
}

export interface DestroyStats extends ParseStats {
  recvs: number;
  bytes: number;
  /** receive-queue overruns reported (ENOBUFS): each lost one or more destroy messages */
  enobufs: number;
  /** destroy messages the kernel dropped at a full receive queue (sk_drops, SO_MEMINFO) */
  dropped: number;
  eintr: number;
  truncated: number;
  errors: number;
}

export interface DrainResult {
  rows: number;
  /** the batch filled up before the queue emptied: drain again */
  more: boolean;
  errno: number;
  code?: string;
  names: string[];
}

export interface DestroySocket {
  readonly netnsInode: number;
  /** the receive queue size the kernel granted, bytes */
  readonly rcvbuf: number;
  readonly closed: boolean;
  /** reads what is queued now, never blocks */
  drain(buffer: ArrayBuffer, capacity: number): DrainResult;
  /** cb() once, when a message waits (one-shot: arm again after a drain); false when it cannot watch */
  watch(cb: () => void): boolean;
  stats(): DestroyStats;
  close(): void;
}

export interface ReplayResult extends ParseStats {
  rows: number;
  full: boolean;
  names: string[];
  framingErrors: number;
  /** NLMSG_DONE messages seen (one per family's dump) */
  dumpsDone: number;
  /** an NLMSG_ERROR ended the recorded dump, as it ends a live one */
  nlError: boolean;
  /** that error's errno (0: none, or an ack) and its name */
  errno: number;
  code?: string;
}

export interface ProbeResult {
  ok: boolean;
  errno: number;
  code?: string;
  message?: string;
}

/** What became of one part of an eBPF view at load (native/bpf_parts.h). */
export interface ViewPart {
  /** "state", "retransmit", "reset_sent", "reset_received"; "tasks", "owners" */
  part: string;
  /** the variant running ("btf_set_state"); "" when off */
  program: string;
  up: boolean;
  /** off: why every variant failed (the verifier's last lines); up: why earlier variants did ("" if none) */
  why: string;
}

/** A part's variants in the order the loader tries them, with what each needs of the kernel. */
export interface PartDef {
  part: string;
  variants: Array<{ program: string; needs: string }>;
}

/** The error a view's constructor throws when no part loads: every part's reason. */
export type ViewLoadError = Error & { code?: string; parts?: ViewPart[] };

export interface Addon {
  layout(capacity: number): NativeLayout;
  replay(recording: Uint8Array, buffer: ArrayBuffer, capacity: number, netnsInode?: number): ReplayResult;
  DiagSocket: new (netnsPath?: string | null) => DiagSocket;
  DestroySocket: new (netnsPath?: string | null, rcvbuf?: number) => DestroySocket;
  probe: {
    diag(): ProbeResult & { attrs: number };
    destroy(): ProbeResult;
    bpf(): ProbeResult;
    setns(path: string): ProbeResult;
  };
  /** the eBPF views' parts and variants, from the native tables */
  viewParts(): { events: PartDef[]; samples: PartDef[]; iter: PartDef[] };
  /** keeps only the capabilities keepLo|keepHi<<32 in every thread (native/privdrop.h); uid/gid -1 = stay */
  dropPrivileges(keepLo: number, keepHi: number, uid: number, gid: number, timeoutMs: number): PrivdropResult;
}

export interface PrivdropResult extends ProbeResult {
  threads: number;
  reached: number;
  /** threads left with more than the kept set (or another uid) */
  unreached: number;
  unreachedTid: number;
}

let cached: Addon | undefined;

/**
 * Loads build/Release/tcplens.node once (or the build TCPLENS_ADDON names, e.g. the
 * sanitizer build of scripts/build-asan.sh); a clear error if it was never built.
 */
export function addon(): Addon {
  if (cached) return cached;
  const file = process.env.TCPLENS_ADDON
    ? path.resolve(process.env.TCPLENS_ADDON)
    : path.resolve(__dirname, '..', '..', '..', 'build', 'Release', 'tcplens.node');
  try {
    cached = require(file) as Addon;
  } catch (e) {
    // an error of the system, not of the input (exit 1: src/cli/main.ts failure()); one line, not node's require stack
    const why = (e as Error).message.split('\n')[0];
    const err = new Error(`tcplens native addon not loadable (${file}): ${why}; run "npm run build"`);
    (err as NodeJS.ErrnoException).code = 'ENOADDON';
    throw err;
  }
  return cached;
}
