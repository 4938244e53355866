// The run loop sleeps until something happened: a view that can be watched
// (View.watch; destroy and events) ticks when woken, at most every everyMs,
// and once a cycle, never on its period alone; a view that cannot be watched
// ticks on its period as before. First with toy views (the loop alone), then
// with the real destroy and events views on the kernel: an idle namespace
// does not tick them, connections closing there do, promptly.
import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as path from 'path';
import type { View, ViewContext } from '../../src/run/view';
import { VIEW_FACTORIES } from '../../src/run/views';
import { openViews } from '../../src/run/open_views';
import { Sidecar } from '../../src/run/sidecar';
import { parseNetnsSelector } from '../../src/netns/select';
import { eventsSuite } from '../helpers/events';
import { NullSink, quietLog } from '../helpers/views';
import { scaled } from '../helpers/time_scale';

const CHURN = path.resolve(__dirname, '../../../test/helpers/churn.py');
const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class Pacer implements View {
  readonly name = 'pacer';
  ticks = 0;
  constructor(readonly everyMs: number) {}
  async tick(): Promise<number> {
    this.ticks++;
    return 0;
  }
  close(): void {}
}

/** A view that reads only when woken; `canWatch` false: it cannot be watched. */
class Watched implements View {
  readonly name: string;
  ticks: number[] = [];
  wake: (() => void) | null = null;
  constructor(
    readonly everyMs: number,
    private readonly canWatch = true,
  ) {
    this.name = canWatch ? 'watched' : 'unwatched';
  }
  async tick(_: ViewContext): Promise<number> {
    this.ticks.push(performance.now());
    return 0;
  }
  watch(wake: () => void): boolean {
    if (!this.canWatch) return false;
    this.wake = wake;
    return true;
  }
  close(): void {}
}

async function runFor(views: View[], ms: number, during?: (t0: number) => Promise<void>): Promise<number> {
  const sidecar = new Sidecar({ maxFlows: 1000 }, new NullSink(), views, quietLog);
  const t0 = performance.now();
  const done = sidecar.run();
  if (during) await during(t0);
  await settle(ms - (performance.now() - t0));
  sidecar.stop();
  await done;
  return t0;
}

describe('run loop: watched views tick on wake, not on their period', function () {
  this.timeout(scaled(60_000));

  it('an idle watched view ticks at the start, once a cycle and at the end; an unwatched one every everyMs', async () => {
    const w = new Watched(50);
    const u = new Watched(50, false);
    const pacer = new Pacer(600);
    await runFor([pacer, w, u], 1500);
    // the cycles at the start, 600 and 1200 ms (fewer when a loaded host runs timers late), then the end
    expect(pacer.ticks, 'cycles').to.be.within(2, 3);
    expect(w.ticks.length, 'watched ticks: once a cycle, and at the end').to.equal(pacer.ticks + 1);
    // every 50 ms over 1.5 s: ~30, fewer when the host is loaded and timers run late
    expect(u.ticks.length, 'unwatched ticks').to.be.within(12, 32);
  });

  it('a wake ticks it within everyMs of its last tick, and wakes in a burst tick it once', async () => {
    const w = new Watched(100);
    let wokeAt = 0;
    await runFor([new Pacer(10_000), w], 900, async () => {
      await settle(300);
      wokeAt = performance.now();
      for (let i = 0; i < 5; i++) w.wake!(); // one-shot: the rest are ignored
    });
    // start, the wake, the end
    expect(w.ticks.length, 'ticks').to.equal(3);
    const lag = w.ticks[1]! - wokeAt;
    // at once (its last tick was 300 ms ago), not at the pacer's next cycle 10 s on; a TCG
    // guest beside two others runs timers tens of ms late
    expect(lag, 'tick after the wake, ms').to.be.within(0, 250);
  });
});

describe('run loop on the kernel: destroy and events wake it', function () {
  this.timeout(scaled(60_000));
  let ns = '';
  eventsSuite('wake', (n) => (ns = n));

  it('idle: destroy and events tick once a cycle; closes tick them and reach the table within a drain', async () => {
    const opened = openViews(
      VIEW_FACTORIES,
      {
        wanted: new Set(['poll', 'destroy', 'events']),
        netns: parseNetnsSelector(ns),
        intervalMs: 60_000,
        drainMs: 100,
        sampleHz: 1,
        ownersMs: 60_000,
        ringBytes: 1 << 20,
        changesOnly: false,
      },
      quietLog,
    );
    expect(opened.views.map((v) => v.name)).to.deep.equal(['poll', 'destroy', 'events']);
    const sink = new NullSink();
    const sidecar = new Sidecar({ maxFlows: 10_000 }, sink, opened.views, quietLog);
    const done = sidecar.run();
    try {
      await settle(1500);
      const idle = sidecar.viewStats();
      // one tick each at the start: 15 each on a 100 ms timer
      expect(idle.find((s) => s.view === 'destroy')!.ticks, 'destroy ticks while idle').to.equal(1);
      expect(idle.find((s) => s.view === 'events')!.ticks, 'events ticks while idle').to.equal(1);
      execFileSync('ip', ['netns', 'exec', ns, 'python3', CHURN, '20'], { encoding: 'utf8' });
      await settle(800);
      const busy = sidecar.viewStats();
      expect(busy.find((s) => s.view === 'destroy')!.rows, 'destroy rows').to.equal(41); // and the listener's
      expect(busy.find((s) => s.view === 'events')!.rows, 'events rows').to.equal(81); // 4 a connection, the listener's close
      expect(sink.rows['tcp_events']).to.equal(81);
      expect(sidecar.table.stats().tracked, 'the closed flows wait out their grace in the table').to.equal(40);
    } finally {
      sidecar.stop();
      await done;
    }
    expect(sink.rows['tcp_flows'], 'every flow out at the end').to.equal(40);
  });
});
