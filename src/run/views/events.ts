// The events view in `run`: every --drain-interval, the ring buffer's opens,
// closes, retransmits and resets into the flow table and tcp_events. Each
// part (state, retransmit, reset_sent, reset_received) runs in the variant
// the kernel accepted, or is off with a warning.
import { EventSource, FLOW_KINDS } from '../../sources/events';
import { resolveNetns, type NetnsSelector } from '../../netns/select';
import type { EventsStageStats } from '../../metrics/stages';
import type { Logger } from '../../util/log';
import { SourceView, type ViewContext, type ViewFactory } from '../view';
import { startParts } from './parts_log';
import type { EventTap } from '../event_tap';

/** the kernel-side namespace filter holds at most this many inodes */
const MAX_NETNS_FILTER = 8;

/** Namespace inodes for the in-kernel filter: none (= all) for "all" or past the filter's size. */
function netnsFilter(sel: NetnsSelector, log: Logger): number[] {
  if (sel.kind === 'all') return [];
  const inodes = resolveNetns(sel, false).namespaces.map((n) => n.inode);
  if (inodes.length > MAX_NETNS_FILTER) {
    log.warn('events.netns', `more than ${MAX_NETNS_FILTER} namespaces selected: the events view traces every namespace`, {
      selected: inodes.length,
    });
    return [];
  }
  return inodes;
}

class EventsView extends SourceView<EventSource> {
  readonly name = 'events';
  private drains = 0;
  private rows = 0;

  constructor(
    src: EventSource,
    everyMs: number,
    private readonly tap?: EventTap,
  ) {
    super(src, everyMs);
  }

  async tick({ table, sink }: ViewContext): Promise<number> {
    const r = await this.src.drain((b, ctx) => {
      table.observeEvents(b, ctx.names);
      sink.writeEvents(b, ctx.names);
      this.tap?.publish(b);
    });
    this.drains++;
    this.rows += r.rows;
    return r.rows;
  }

  watch(wake: () => void): boolean {
    return this.src.watch(wake);
  }

  stats(): EventsStageStats {
    const s = this.src.stats();
    return {
      programs: { tcp_events: { read: s.events, lost: s.lost } },
      bytes: s.bytes,
      polls: this.drains,
      errors: s.malformed,
      rows: this.rows,
      ...(s.pump ? { reader: s.pump } : {}),
    };
  }
}

/** The events source as `tcplens run` opens it (bench/events' tracer opens
 * the same, so its figures are run's): a reader thread empties the ring as it
 * fills, woken at an eighth of it, else drainMs after the first record. */
export function runEventSource(netns: number[], kinds: number, ringBytes: number, drainMs: number): EventSource {
  return new EventSource({ netns, kinds, ringBytes, pumpMs: drainMs, wakeBytes: Math.max(4096, Math.floor(ringBytes / 8)) });
}

export const eventsView: ViewFactory = {
  name: 'events',
  open(req, log) {
    if (req.report?.views.events === 'off') return { views: [], parts: req.report.parts.events }; // preflight said why
    // the kinds the flow table uses: other state changes cost probe time and say nothing it keeps
    // a reader thread empties the ring as it fills (woken at an eighth of it), so a burst is not
    // lost while the JS thread is busy; drains take its batches without a pool round trip
    const filter = netnsFilter(req.netns, log);
    const src = runEventSource(filter, FLOW_KINDS, req.ringBytes, req.drainMs);
    if (!startParts('events', src, log)) return { views: [], parts: src.parts() };
    const v = new EventsView(src, req.drainMs, req.eventTap);
    if (req.eventTap) {
      req.eventTap.fed = true;
      req.eventTap.opens = src.parts().some((p) => p.part === 'state' && p.up);
      req.eventTap.lost = () => {
        const s = src.stats();
        return s.lost + s.malformed;
      };
      req.eventTap.traces = (inode) => filter.length === 0 || filter.includes(inode);
    }
    return { views: [v], stages: { events: v }, parts: src.parts() };
  },
};
