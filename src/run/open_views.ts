// Opens the views --views names, in registration order, and gathers what
// the metrics and the start log need of them: the stage counters and the
// eBPF parts as loaded.
import type { ViewPart } from '../native/addon';
import type { PipelineStages } from '../metrics/stages';
import type { Logger } from '../util/log';
import type { View, ViewFactory, ViewsRequest } from './view';
import { EventTap } from './event_tap';

export interface OpenedViews {
  /** every view to tick, the pacing one (poll) first */
  views: View[];
  stages: Partial<PipelineStages>;
  /** each eBPF view's parts ([] for one not wanted) */
  parts: { events: ViewPart[]; samples: ViewPart[] };
}

export function openViews(factories: readonly ViewFactory[], asked: ViewsRequest, log: Logger): OpenedViews {
  const req: ViewsRequest = { ...asked, eventTap: asked.eventTap ?? new EventTap() };
  const out: OpenedViews = { views: [], stages: {}, parts: { events: [], samples: [] } };
  for (const f of factories) {
    if (!req.wanted.has(f.name)) continue;
    const o = f.open(req, log);
    if (!o) continue;
    out.views.push(...o.views);
    Object.assign(out.stages, o.stages);
    if (o.parts && (f.name === 'events' || f.name === 'samples')) out.parts[f.name] = o.parts;
  }
  return out;
}
