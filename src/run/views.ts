// The views `run` empties on their own periods: events (ring buffer, every
// --drain-interval) and samples (task iterator at --sample-hz, the socket
// owner map every --owners-interval). Each starts only when preflight and its
// own availability check allow it; otherwise one warning says why. Each part
// of a view (events: state, retransmit, resets; samples: tasks, owners) runs
// or is off on its own, with one warning per part off.
import { EventSource, FLOW_KINDS } from '../sources/events';
import { isFallback, needsOf, type BpfView } from '../sources/parts';
import type { ViewPart } from '../native/addon';
import { SampleSource } from '../sources/samples';
import { resolveNetns, type NetnsSelector } from '../netns/select';
import type { PreflightReport } from '../preflight';
import type { Logger } from '../util/log';
import type { PeriodicView } from './sidecar';
import type { EventsStageStats, SamplesStageStats, StatsProvider } from '../metrics/stages';

export { FLOW_KINDS };
/** the kernel-side namespace filter holds at most this many inodes */
const MAX_NETNS_FILTER = 8;

export interface ViewsRequest {
  wanted: ReadonlySet<string>;
  report: PreflightReport;
  netns: NetnsSelector;
  sampleHz: number;
  drainMs: number;
  ownersMs: number;
  ringBytes: number;
}

export interface PeriodicViews {
  views: PeriodicView[];
  events?: StatsProvider<EventsStageStats>;
  samples?: StatsProvider<SamplesStageStats>;
  /** each part of the eBPF views as loaded ([] for a view not wanted) */
  parts: Record<BpfView, ViewPart[]>;
}

/** One line per part that is off (with the verifier's words) or runs a fallback variant. */
function logParts(view: BpfView, parts: readonly ViewPart[], log: Logger): void {
  for (const p of parts) {
    if (!p.up) {
      log.warn(`view.part.${view}.${p.part}`, `${view} part ${p.part} off: ${p.why}`, { view, part: p.part });
    } else if (isFallback(view, p)) {
      log.info(`view.part.${view}.${p.part}`, `${view} part ${p.part} runs as ${p.program} (${needsOf(view, p.program)})`,
        { view, part: p.part, program: p.program, why: p.why });
    }
  }
}

/** Namespace inodes for the in-kernel filter: none (= all) for "all" or past the filter's size. */
function netnsFilter(sel: NetnsSelector, log: Logger): number[] {
  if (sel.kind === 'all') return [];
  const inodes = resolveNetns(sel, false).namespaces.map((n) => n.inode);
  if (inodes.length > MAX_NETNS_FILTER) {
    log.warn('events.netns', `more than ${MAX_NETNS_FILTER} namespaces selected: the events view traces every namespace`, { selected: inodes.length });
    return [];
  }
  return inodes;
}

function startEvents(req: ViewsRequest, log: Logger, out: PeriodicViews): { view: PeriodicView; stats: StatsProvider<EventsStageStats> } | null {
  // Opens, closes, retransmits and resets: other state changes cost probe time
  // and say nothing the flow table uses (kinds bit k = event kind k).
  const src = new EventSource({ netns: netnsFilter(req.netns, log), kinds: FLOW_KINDS, ringBytes: req.ringBytes });
  try {
    src.start();
  } catch (e) {
    log.warn('view.events', (e as Error).message);
    out.parts.events = src.parts();
    return null;
  }
  out.parts.events = src.parts();
  logParts('events', src.parts(), log);
  let drains = 0, rows = 0;
  const view: PeriodicView = {
    name: 'events',
    everyMs: req.drainMs,
    async tick(table, sink) {
      const r = await src.drain((b, ctx) => {
        table.observeEvents(b, ctx.names);
        sink.writeEvents(b, ctx.names);
      });
      drains++;
      rows += r.rows;
    },
    close: () => src.close(),
  };
  const stats = (): EventsStageStats => {
    const s = src.stats();
    return { programs: { tcp_events: { read: s.events, lost: s.lost } }, bytes: s.bytes, polls: drains, errors: s.malformed, rows };
  };
  return { view, stats: { stats } };
}

function startSamples(req: ViewsRequest, log: Logger, out: PeriodicViews): { views: PeriodicView[]; stats: StatsProvider<SamplesStageStats> } | null {
  const src = new SampleSource({});
  try {
    src.start();
  } catch (e) {
    log.warn('view.samples', (e as Error).message);
    out.parts.samples = src.parts();
    return null;
  }
  out.parts.samples = src.parts();
  logParts('samples', src.parts(), log);
  const samples: PeriodicView = {
    name: 'samples',
    everyMs: 1000 / req.sampleHz,
    async tick(table, sink) {
      await src.sample((b, ctx) => {
        table.observeSamples(b, ctx.names);
        sink.writeSamples(b, ctx.names);
      });
    },
    close: () => src.close(),
  };
  const owners: PeriodicView = {
    name: 'owners',
    everyMs: req.ownersMs,
    async tick(table, sink) {
      let first = true;
      await src.owners((b, ctx) => {
        table.setOwners(b, ctx.names, first);
        first = false;
        sink.writeOwners(b, ctx.names, ctx.tsNs);
      });
    },
    close: () => src.close(),  // idempotent: whichever view closes first
  };
  const stats = (): SamplesStageStats => {
    const s = src.stats();
    if (!s) return { iterations: 0, seconds: 0, records: 0, errors: 0, dropped: 0 };
    return { iterations: s.iterations, seconds: s.durationNs / 1e9, records: s.records, errors: s.malformed + s.readErrors, dropped: s.dropped };
  };
  // a part that did not load has no pass
  const views = [src.has('tasks') ? samples : null, src.has('owners') ? owners : null].filter((v): v is PeriodicView => v !== null);
  return { views, stats: { stats } };
}

/** Starts the eBPF views that are wanted. Preflight loaded the same
 * programs a moment ago: a view it found off is not tried again (its
 * warning is already out); the others load for themselves and report what
 * they got (logged, and in `parts`), which is what runs. */
export function openPeriodicViews(req: ViewsRequest, log: Logger): PeriodicViews {
  const out: PeriodicViews = { views: [], parts: { events: [], samples: [] } };
  const off = (v: BpfView): boolean => {
    if (req.report.views[v] !== 'off') return false;
    out.parts[v] = req.report.parts[v];
    return true;
  };
  if (req.wanted.has('events') && !off('events')) {
    const e = startEvents(req, log, out);
    if (e) { out.views.push(e.view); out.events = e.stats; }
  }
  if (req.wanted.has('samples') && !off('samples')) {
    const s = startSamples(req, log, out);
    if (s) { out.views.push(...s.views); out.samples = s.stats; }
  }
  return out;
}
