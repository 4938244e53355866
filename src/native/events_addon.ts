// Typed face of the events view's exports (native/napi_events.cc), kept
// apart from addon.ts so the views' interfaces merge without conflicts.
import { addon, type NativeLayout, type ViewPart } from './addon';

export interface EventTracerConfig {
  /** network namespace inodes to keep (at most 8); empty: all */
  netns?: number[];
  /** local or remote ports to keep (at most 8); empty: all */
  ports?: number[];
  /** bit k keeps kind k (EventKind); 0 or absent: all */
  kinds?: number;
  /** kind "state": bit s keeps changes into TCP state s; 0 or absent: all */
  states?: number;
  /** ring buffer bytes: a power of two, at least a page; default 8 MiB */
  ringBytes?: number;
  /** auto: per part, tp_btf, falling back to classic tracepoints; else only that kind */
  mode?: 'auto' | 'tp_btf' | 'tracepoint';
  /** the programs wake a waiting reader once the ring holds this many bytes; 0 or absent: never */
  wakeBytes?: number;
  /** > 0: a native reader thread empties the ring (woken past wakeBytes at once, else pumpMs after
   * the first record; every pumpMs without wakeBytes) into
   * queued batches, and drain() takes them without a libuv round trip; 0 or absent: drain() reads the ring */
  pumpMs?: number;
  /** the reader thread's queue bound, in batches (default 256) */
  pumpBatches?: number;
}

/** The reader thread's counters (pumpMs > 0). */
export interface EventPumpStats {
  /** reads woken by the ring: the programs saw wakeBytes waiting */
  dataWakeups: number;
  /** reads pumpMs after the first record went into an empty ring (every pumpMs without wakeBytes) */
  timerWakeups: number;
  /** every wakeup of the thread, those that read nothing too (an idle ring: one every 10 pumpMs) */
  wakeups: number;
  /** full batches queued */
  batches: number;
  /** the queue was full: reading paused (the ring absorbs, then counts its losses) */
  stalls: number;
  /** rows waiting now, and the most that ever waited */
  queuedRows: number;
  peakRows: number;
  errors: number;
  /** CPU time the reader thread has used, ns */
  cpuNs: number;
}

export interface EventDrainResult {
  rows: number;
  /** the batch filled up; more records wait in the ring */
  more: boolean;
  errno: number;
  code?: string;
  /** CLOCK_REALTIME - CLOCK_MONOTONIC used for this batch's ts_ns, ns */
  offsetNs: number;
  /** comms first seen in this batch; ids continue the dictionary (1-based) */
  names: string[];
}

export interface EventTracerStats {
  /** records written to batches */
  events: number;
  /** ring-buffer bytes read */
  bytes: number;
  batches: number;
  /** records skipped as malformed */
  malformed: number;
  commOverflow: number;
  /** records the kernel could not write (ring full), all CPUs */
  lost: number;
  lostPerCpu: number[];
  /** sockets born while the kernel-side socket table was full: no owner, no lifetime */
  tableFull: number;
  lostErrno?: number;
  /** the reader thread's counters, once it runs */
  pump?: EventPumpStats;
}

export interface EventTracer {
  /** the kind of program the state part runs */
  readonly mode: 'tp_btf' | 'tracepoint' | null;
  /** what became of each part at load (kept after close) */
  readonly parts: ViewPart[];
  readonly ringBytes: number;
  readonly closed: boolean;
  drain(buffer: ArrayBuffer, capacity: number): Promise<EventDrainResult>;
  /** cb() once, when the reader thread has rows to take or the ring was woken (one-shot: arm
   * again after a drain); queueOnly: only when the reader thread has rows (it gathers them
   * pumpMs after the first record); false without a running reader thread (pumpMs 0, or
   * before the first drain) */
  watch(cb: () => void, queueOnly?: boolean): boolean;
  stats(): EventTracerStats;
  close(): void;
}

export interface EventsAddon {
  eventLayout(capacity: number): NativeLayout;
  eventsBuilt(): { built: boolean; reason?: string };
  /** loads and attaches every part it can; throws a ViewLoadError (.code, .parts) when none loads */
  EventTracer: new (config?: EventTracerConfig) => EventTracer;
}

export const eventsAddon = (): EventsAddon => addon() as unknown as EventsAddon;
