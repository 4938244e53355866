// A new view is one file plus its registration: a toy view, written here in
// full, added to the registered ones, runs in the sidecar's loop beside the
// real poll view, ticks on its own period, hands its rows to the flow table
// and the sink, and shows in the tcplens_view_* metrics, with nothing else
// touched.
import { expect } from 'chai';
import type { View, ViewContext, ViewFactory } from '../../src/run/view';
import { VIEW_FACTORIES } from '../../src/run/views';
import { openViews } from '../../src/run/open_views';
import { Sidecar } from '../../src/run/sidecar';
import { createRegistry } from '../../src/metrics/registry';
import { suiteNetns } from '../helpers/netns';
import { NullSink, quietLog, viewsRequest } from '../helpers/views';

// --- the toy view: the whole of it ---
class ToyView implements View {
  readonly name = 'toy';
  closed = 0;
  constructor(readonly everyMs: number) {}
  async tick({ sink }: ViewContext): Promise<number> {
    sink.writeCoverage([]); // a sink call, nothing to write
    return 3; // three "rows" a tick
  }
  close(): void {
    this.closed++;
  }
}
const toyView: ViewFactory = { name: 'toy', open: (req) => ({ views: [new ToyView(req.drainMs)] }) };
// --- its registration ---
const FACTORIES = [...VIEW_FACTORIES, toyView];

describe('a new view: one file plus its registration', function () {
  this.timeout(30_000);
  const netns = suiteNetns('toy');

  it('runs beside poll on its own period, and the run loop and the metrics count it', async () => {
    const opened = openViews(
      FACTORIES,
      viewsRequest(['poll', 'toy'], netns.name, { intervalMs: 400, drainMs: 100, ringBytes: 1 << 20 }),
      quietLog,
    );
    expect(opened.views.map((v) => v.name)).to.deep.equal(['poll', 'toy']);
    const sink = new NullSink();
    const sidecar = new Sidecar({ maxFlows: 1000 }, sink, opened.views, quietLog);
    const done = sidecar.run();
    await new Promise((r) => setTimeout(r, 1300));
    sidecar.stop();
    await done;

    const [poll, toy] = sidecar.viewStats();
    expect(poll!.view).to.equal('poll');
    expect(poll!.ticks).to.be.within(3, 5); // every 400 ms over 1.3 s
    expect(toy!.ticks).to.be.within(9, 16); // every 100 ms, and once more at the end
    expect(toy!.rows).to.equal(3 * toy!.ticks);
    expect(sidecar.stats().cycles).to.equal(poll!.ticks);
    expect(sink.rows['poll_cycles']).to.equal(poll!.ticks); // the real view wrote too
    expect((opened.views[1] as ToyView).closed).to.equal(1);

    const reg = createRegistry({ views: { stats: () => sidecar.viewStats() } }, { version: 'test', defaults: false });
    const text = await reg.metrics();
    expect(text).to.match(new RegExp(`^tcplens_view_ticks_total\\{view="toy"\\} ${toy!.ticks}$`, 'm'));
    expect(text).to.match(new RegExp(`^tcplens_view_rows_total\\{view="toy"\\} ${toy!.rows}$`, 'm'));
    expect(text).to.match(/^tcplens_view_tick_seconds_total\{view="poll"\} \d/m);
  });
});
