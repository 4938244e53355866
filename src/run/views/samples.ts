// The samples view in `run`: at --sample-hz, what every active thread is
// doing and the socket it waits on (task_samples; a flow's sighting in the
// table), and every --owners-interval the socket -> process map
// (socket_owners; the flows' owners). One eBPF source, two views, one per
// part that loaded.
import { SampleSource } from '../../sources/samples';
import type { SamplesStageStats } from '../../metrics/stages';
import { SourceView, type View, type ViewContext, type ViewFactory } from '../view';
import { startParts } from './parts_log';

class TasksView extends SourceView<SampleSource> {
  readonly name = 'samples';

  async tick({ table, sink }: ViewContext): Promise<number> {
    const r = await this.src.sample((b, ctx) => {
      table.observeSamples(b, ctx.names);
      sink.writeSamples(b, ctx.names);
    });
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

class OwnersView extends SourceView<SampleSource> {
  readonly name = 'owners';

  async tick({ table, sink }: ViewContext): Promise<number> {
    let first = true;
    const r = await this.src.owners((b, ctx) => {
      table.setOwners(b, ctx.names, first); // the first batch of a pass replaces the map
      first = false;
      sink.writeOwners(b, ctx.names, ctx.tsNs);
    });
    return r.rows;
  }
}

export const samplesView: ViewFactory = {
  name: 'samples',
  open(req, log) {
    if (req.report?.views.samples === 'off') return { views: [], parts: req.report.parts.samples }; // preflight said why
    const src = new SampleSource({});
    if (!startParts('samples', src, log)) return { views: [], parts: src.parts() };
    const tasks = new TasksView(src, 1000 / req.sampleHz);
    const views: View[] = [];
    if (src.has('tasks')) views.push(tasks);
    if (src.has('owners')) views.push(new OwnersView(src, req.ownersMs));
    return { views, stages: { samples: tasks }, parts: src.parts() };
  },
};
