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
}

export interface EventTracer {
  /** the kind of program the state part runs */
  readonly mode: 'tp_btf' | 'tracepoint' | null;
  /** what became of each part at load (kept after close) */
  readonly parts: ViewPart[];
  readonly ringBytes: number;
  readonly closed: boolean;
  drain(buffer: ArrayBuffer, capacity: number): Promise<EventDrainResult>;
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
