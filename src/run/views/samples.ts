// The samples view in `run`: at --sample-hz, what every active thread is
// doing and the socket it waits on (task_samples; a flow's sighting in the
// table; while passes find nothing and nothing happens, every 10 s), and
// every --owners-interval the socket -> process map
// (socket_owners; the flows' owners). One eBPF source, two views, one per
// part that loaded. With --netns naming namespaces, both write only what
// belongs to them (filtered in the kernel: threads in them or blocked on
// their sockets; their sockets' owners).
import { SampleSource } from '../../sources/samples';
import type { SamplesStageStats } from '../../metrics/stages';
import { resolveNetns, type NetnsSelector } from '../../netns/select';
import { SourceView, type View, type ViewContext, type ViewFactory } from '../view';
import { startParts } from './parts_log';
import type { EventTap } from '../event_tap';
import { PassGate } from './pass_gate';

/** While the task passes find nothing, a pass at least this often (ms), whatever happened. */
export const TASKS_IDLE_EVERY_MS = 10_000;

/** The 1 Hz task pass walks every thread of the host (~1 µs each in the
 * kernel) and wakes the loop, rows or not. So while the last pass wrote no
 * row (no thread of the watched namespaces active or blocked on their
 * sockets) and nothing happened since (no flow opened or closed in the
 * table, no event read from the ring), a tick runs no pass, until
 * TASKS_IDLE_EVERY_MS have passed since the last one. A pass with rows, a
 * new or closed flow, or an event brings back the pass every tick. */
export class TasksView extends SourceView<SampleSource> {
  readonly name = 'samples';
  private readonly gate: PassGate;
  private events = 0;
  private lastRows = -1;

  constructor(src: SampleSource, everyMs: number, tap?: EventTap, now?: () => number) {
    super(src, everyMs);
    this.gate = new PassGate(now);
    tap?.subscribe((b) => {
      this.events += b.rows;
    });
  }

  /** ticks that ran no pass (idle) */
  get skipped(): number {
    return this.gate.skipped;
  }

  async tick({ table, sink }: ViewContext): Promise<number> {
    const s = table.stats();
    const activity = s.opened + s.closed + this.events;
    if (this.lastRows === 0 && this.gate.idle(activity, TASKS_IDLE_EVERY_MS)) return 0;
    this.gate.ran(activity);
    const r = await this.src.sample((b, ctx) => {
      table.observeSamples(b, ctx.names);
      sink.writeSamples(b, ctx.names);
    });
    this.lastRows = r.rows;
    return r.rows;
  }

  stats(): SamplesStageStats {
    const s = this.src.stats();
    if (!s) return { iterations: 0, seconds: 0, records: 0, errors: 0, dropped: 0 };
    return {
      iterations: s.iterations,
      seconds: s.durationNs / 1e9,
      records: s.records,
      errors: s.malformed + s.readErrors,
      dropped: s.dropped,
    };
  }
}

/** the kernel-side namespace filter holds at most this many (bpf/task_sampler.bpf.c) */
const WATCH_NETNS_MAX = 16;

const watchedInodes = (sel: NetnsSelector): number[] => resolveNetns(sel, false).namespaces.map((n) => n.inode);

/** A pass at least this many --owners-interval apart even when no view saw a
 * new socket (fds passed between processes, a fork: owners that change
 * without a new socket). */
export const OWNERS_FULL_EVERY = 10;

/** The owners pass walks every fd of every process on the host, whatever
 * --netns says: on an idle host it is most of what tcplens costs. So a tick
 * runs it only when a view saw a socket the flow table did not know (a new
 * flow: poll, events, destroy, listen) since the last pass, or when the last
 * pass is OWNERS_FULL_EVERY periods old; and with --netns naming namespaces
 * the program writes only their sockets. */
export class OwnersView extends SourceView<SampleSource> {
  readonly name = 'owners';
  private readonly gate: PassGate;
  /** the pass before the first cycle ran (beforeFirst): the next tick runs none */
  private primed = false;
  private passes = 0;

  constructor(
    src: SampleSource,
    everyMs: number,
    private readonly netns: NetnsSelector,
    now?: () => number,
    /** The first pass runs before the first poll cycle, not after it: the
     * sockets it counts size the flow table before the cycle makes flows of
     * them, and that cycle's new flows, whose sockets it found, ask for no
     * second pass (the tick right after the cycle runs none). Only where the
     * program generates cookies (sample_owners): sample_owners_rd reads them,
     * and before the first dump most are not generated yet (0 in its rows). */
    readonly beforeFirst = false,
  ) {
    super(src, everyMs);
    this.gate = new PassGate(now);
  }

  /** ticks that found nothing new and ran no pass */
  get skipped(): number {
    return this.gate.skipped;
  }

  async tick({ table, sink, log }: ViewContext): Promise<number> {
    const opened = table.stats().opened;
    if (this.primed) {
      // the flows opened since are the first cycle's: the pass before it found their sockets
      this.primed = false;
      this.gate.covered(opened);
      return 0;
    }
    if (this.gate.idle(opened, OWNERS_FULL_EVERY * this.everyMs)) return 0;
    if (!this.restrict()) return 0; // none of the namespaces named exists now
    // read before the pass: a flow that enters the table during it asks for the next one
    this.gate.ran(opened);
    let first = true;
    const cpu0 = process.cpuUsage();
    const r = await this.src.owners((b, ctx) => {
      table.setOwners(b, ctx.names, first); // the first batch of a pass replaces the map
      first = false;
      sink.writeOwners(b, ctx.names, ctx.tsNs);
    });
    const cpu = process.cpuUsage(cpu0);
    // the pass's process CPU (every thread: the kernel's walk runs on the pool's), for bench/poll/builds.sh
    log.debug('run.owners', 'owners pass done', {
      rows: r.rows,
      batches: r.batches,
      duration_ms: Math.round(r.durationMs),
      cpu_us: cpu.user + cpu.system,
    });
    if (this.beforeFirst && this.passes++ === 0 && opened === 0 && table.stats().opened === 0) {
      this.primed = true;
      table.reserve(r.rows); // a socket a row (or more, shared by processes): about the first cycle's flows
    }
    return r.rows;
  }

  /** --netns NAME,...: the pass writes those namespaces' sockets only (false: none exists now). */
  private restrict(): boolean {
    if (this.netns.kind === 'all') return true;
    const inodes = watchedInodes(this.netns);
    if (!inodes.length) return false;
    this.src.watchNetns(inodes); // namespaces come and go; false: too many to filter, every namespace's then
    return true;
  }
}

export const samplesView: ViewFactory = {
  name: 'samples',
  open(req, log) {
    if (req.report?.views.samples === 'off') return { views: [], parts: req.report.parts.samples }; // preflight said why
    const src = new SampleSource({});
    if (!startParts('samples', src, log)) return { views: [], parts: src.parts() };
    if (req.netns.kind === 'list' && !src.watchNetns(watchedInodes(req.netns)))
      log.warn('samples.netns', `more than ${WATCH_NETNS_MAX} namespaces selected: the samples view writes every namespace's`, {});
    const tasks = new TasksView(src, 1000 / req.sampleHz, req.eventTap);
    const views: View[] = [];
    if (src.has('tasks')) views.push(tasks);
    // the owners pass before the first cycle where its rows get the cookies (OwnersView.beforeFirst)
    const generates = src.parts().some((p) => p.part === 'owners' && p.up && p.program === 'sample_owners');
    if (src.has('owners')) views.push(new OwnersView(src, req.ownersMs, req.netns, undefined, generates));
    return { views, stages: { samples: tasks }, parts: src.parts() };
  },
};
