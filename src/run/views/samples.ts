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
  /** ticks that ran no pass (idle) */
  skipped = 0;
  private events = 0;
  private lastActivity = -1;
  private lastRows = -1;
  private lastPassMs = -Infinity;

  constructor(
    src: SampleSource,
    everyMs: number,
    tap?: EventTap,
    private readonly now: () => number = () => performance.now(),
  ) {
    super(src, everyMs);
    tap?.subscribe((b) => {
      this.events += b.rows;
    });
  }

  async tick({ table, sink }: ViewContext): Promise<number> {
    const s = table.stats();
    const activity = s.opened + s.closed + this.events;
    const now = this.now();
    if (this.lastRows === 0 && activity === this.lastActivity && now - this.lastPassMs < TASKS_IDLE_EVERY_MS) {
      this.skipped++;
      return 0;
    }
    this.lastActivity = activity;
    this.lastPassMs = now;
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
  private opened = -1;
  private lastPassMs = -Infinity;
  /** ticks that found nothing new and ran no pass */
  skipped = 0;

  constructor(
    src: SampleSource,
    everyMs: number,
    private readonly netns: NetnsSelector,
    private readonly now: () => number = () => performance.now(),
  ) {
    super(src, everyMs);
  }

  async tick({ table, sink }: ViewContext): Promise<number> {
    const opened = table.stats().opened;
    const now = this.now();
    if (opened === this.opened && now - this.lastPassMs < OWNERS_FULL_EVERY * this.everyMs) {
      this.skipped++;
      return 0;
    }
    if (!this.restrict()) return 0; // none of the namespaces named exists now
    // read before the pass: a flow that enters the table during it asks for the next one
    this.opened = opened;
    this.lastPassMs = now;
    let first = true;
    const r = await this.src.owners((b, ctx) => {
      table.setOwners(b, ctx.names, first); // the first batch of a pass replaces the map
      first = false;
      sink.writeOwners(b, ctx.names, ctx.tsNs);
    });
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
    if (src.has('owners')) views.push(new OwnersView(src, req.ownersMs, req.netns));
    return { views, stages: { samples: tasks }, parts: src.parts() };
  },
};
