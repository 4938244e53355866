// The views `run` empties on their own periods: events (ring buffer, every
// --drain-interval) and samples (task iterator at --sample-hz, the socket
// owner map once per poll interval). Each starts only when preflight and its
// own availability check allow it; otherwise one warning says why.
import { EventSource } from '../sources/events';
import { SampleSource, sampleAvailability } from '../sources/samples';
import { resolveNetns, type NetnsSelector } from '../netns/select';
import type { PreflightReport } from '../preflight';
import type { Logger } from '../util/log';
import type { PeriodicView } from './sidecar';
import type { EventsStageStats, SamplesStageStats, StatsProvider } from '../metrics/stages';

/** event kinds 1-3 and 5-7 (not 4, other state changes) */
export const FLOW_KINDS = 0xee;
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

function startEvents(req: ViewsRequest, log: Logger): { view: PeriodicView; stats: StatsProvider<EventsStageStats> } | null {
  const a = EventSource.availability();
  if (!a.ok) { log.warn('view.events', `events view off: ${a.reason}`); return null; }
  // Opens, closes, retransmits and resets: other state changes cost probe time
  // and say nothing the flow table uses (kinds bit k = event kind k).
  const src = new EventSource({ netns: netnsFilter(req.netns, log), kinds: FLOW_KINDS, ringBytes: req.ringBytes });
  try {
    src.start();
  } catch (e) {
    log.warn('view.events', (e as Error).message);
    return null;
  }
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

function startSamples(req: ViewsRequest, log: Logger): { views: PeriodicView[]; stats: StatsProvider<SamplesStageStats> } | null {
  const a = sampleAvailability();
  if (!a.ok) { log.warn('view.samples', `samples view off: ${a.reason}`); return null; }
  const src = new SampleSource({});
  try {
    src.start();
  } catch (e) {
    log.warn('view.samples', (e as Error).message);
    return null;
  }
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
    close: () => {},
  };
  const stats = (): SamplesStageStats => {
    const s = src.stats();
    if (!s) return { iterations: 0, seconds: 0, records: 0, errors: 0, dropped: 0 };
    return { iterations: s.iterations, seconds: s.durationNs / 1e9, records: s.records, errors: s.malformed + s.readErrors, dropped: s.dropped };
  };
  return { views: [samples, owners], stats: { stats } };
}

export function openPeriodicViews(req: ViewsRequest, log: Logger): PeriodicViews {
  const out: PeriodicViews = { views: [] };
  const bpfOff = (v: 'events' | 'samples'): boolean => req.report.views[v] === 'off';
  if (req.wanted.has('events') && !bpfOff('events')) {
    const e = startEvents(req, log);
    if (e) { out.views.push(e.view); out.events = e.stats; }
  }
  if (req.wanted.has('samples') && !bpfOff('samples')) {
    const s = startSamples(req, log);
    if (s) { out.views.push(...s.views); out.samples = s.stats; }
  }
  return out;
}
