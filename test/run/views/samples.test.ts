// The owners view in `run` on an idle namespace: its pass (a walk of every
// fd of every process on the host) runs only when a view saw a new socket
// since the last one, so an idle run does not pay for it every
// --owners-interval; the owners of a socket opened after the idle period are
// still recorded within --interval + --owners-interval of its opening; and
// with --netns naming a namespace, only that namespace's sockets are written.
// ndjson on stdout (no ClickHouse: this test runs in the kernel matrix too).
import { expect } from 'chai';
import * as fs from 'fs';
import { createNetns, deleteNetns, isRoot } from '../../helpers/netns';
import { killRuns, startRun } from '../../helpers/run_proc';
import { startSampleWorkload } from '../../helpers/samples';
import { skipIf } from '../../helpers/skip';
import { scaled } from '../../helpers/time_scale';
import { freePort } from '../../helpers/clickhouse';
import { flags } from '../../helpers/cli_flags';
import { OWNERS_FULL_EVERY, OwnersView, TASKS_IDLE_EVERY_MS, TasksView } from '../../../src/run/views/samples';
import { EventTap } from '../../../src/run/event_tap';
import type { ColumnBatch } from '../../../src/layout/batch';
import type { SampleSource } from '../../../src/sources/samples';
import type { ViewContext } from '../../../src/run/view';

type Row = Record<string, string | number>;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('OwnersView: when a tick runs the pass', () => {
  /** The view over a stand-in source that counts passes, a table whose opened count the test moves, and a clock. */
  function setup(netns: ConstructorParameters<typeof OwnersView>[2] = { kind: 'all' }, beforeFirst = false) {
    const st = { passes: 0, opened: 0, now: 0, filters: [] as number[][], rows: 0, reserved: [] as number[] };
    const src = {
      owners: async () => {
        st.passes++;
        return { seq: st.passes, tsNs: 0n, rows: st.rows, batches: 0, durationMs: 0 };
      },
      watchNetns: (inodes: number[]) => {
        st.filters.push(inodes);
        return true;
      },
      close: () => undefined,
    } as unknown as SampleSource;
    const ctx = {
      table: { stats: () => ({ opened: st.opened }), reserve: (n: number) => st.reserved.push(n) },
      sink: {},
      log: { debug: () => undefined },
    } as unknown as ViewContext;
    const view = new OwnersView(src, 1000, netns, () => st.now, beforeFirst);
    return { st, tick: () => view.tick(ctx), view };
  }

  it('runs the first pass, skips while no flow entered the table, runs again after one did', async () => {
    const { st, tick, view } = setup();
    await tick();
    expect(st.passes).to.equal(1);
    for (let i = 1; i <= 5; i++) {
      st.now = i * 1000;
      await tick();
    }
    expect(st.passes, 'five idle ticks').to.equal(1);
    expect(view.skipped).to.equal(5);
    st.opened++;
    st.now = 6000;
    await tick();
    expect(st.passes, 'a new flow').to.equal(2);
    st.now = 7000;
    await tick();
    expect(st.passes).to.equal(2);
  });

  it('a pass before any flow sizes the table for its sockets; the tick after the first cycle runs none, a later new flow one', async () => {
    const { st, tick, view } = setup({ kind: 'all' }, true);
    st.rows = 5000;
    await tick(); // before the first cycle (View.beforeFirst)
    expect(st.reserved, 'the table sized for the sockets found').to.deep.equal([5000]);
    st.opened = 4990; // the first cycle's flows: their sockets were in that pass
    st.now = 1000;
    await tick();
    expect(st.passes, 'no second pass for them').to.equal(1);
    expect(view.skipped).to.equal(1);
    st.opened++;
    st.now = 2000;
    await tick();
    expect(st.passes, 'a flow opened after the first cycle').to.equal(2);
    expect(st.reserved, 'sized once, before any flow').to.deep.equal([5000]);
  });

  it('without beforeFirst (a program that reads cookies, not generates them) the first pass sizes nothing and primes nothing', async () => {
    const { st, tick, view } = setup();
    expect(view.beforeFirst).to.equal(false);
    st.rows = 5000;
    await tick();
    expect(st.reserved).to.deep.equal([]);
    st.opened = 4990;
    st.now = 1000;
    await tick();
    expect(st.passes, 'the new flows ask for a pass').to.equal(2);
  });

  it('runs a pass at least every OWNERS_FULL_EVERY intervals, new flows or not', async () => {
    const { st, tick } = setup();
    await tick();
    st.now = OWNERS_FULL_EVERY * 1000 - 1;
    await tick();
    expect(st.passes).to.equal(1);
    st.now = OWNERS_FULL_EVERY * 1000;
    await tick();
    expect(st.passes).to.equal(2);
  });

  it('with --netns naming namespaces, restricts each pass to their inodes; none existing: no pass', async () => {
    const ns = isRoot() ? createNetns('ownf') : '';
    try {
      if (ns) {
        const { st, tick } = setup({ kind: 'list', items: [ns] });
        await tick();
        expect(st.filters).to.deep.equal([[fs.statSync(`/run/netns/${ns}`).ino]]);
      }
      const gone = setup({ kind: 'list', items: ['tlt-ownf-no-such-netns'] });
      await gone.tick();
      expect(gone.st.passes, 'no namespace named exists').to.equal(0);
      const all = setup();
      await all.tick();
      expect(all.st.filters, '--netns all: no filter').to.deep.equal([]);
    } finally {
      if (ns) deleteNetns(ns);
    }
  });
});

describe('TasksView: when a tick runs the task pass', () => {
  /** The view over a stand-in source whose passes return st.rows rows, a table whose counts the test moves, a tap, a clock. */
  function setup() {
    const st = { passes: 0, rows: 0, opened: 0, closed: 0, now: 0 };
    const src = {
      sample: async () => {
        st.passes++;
        return { seq: st.passes, tsNs: 0n, rows: st.rows, batches: 0, durationMs: 0 };
      },
      close: () => undefined,
    } as unknown as SampleSource;
    const ctx = { table: { stats: () => ({ opened: st.opened, closed: st.closed }) }, sink: {} } as unknown as ViewContext;
    const tap = new EventTap();
    const view = new TasksView(src, 1000, tap, () => st.now);
    let t = 0;
    const tick = (): Promise<number> => {
      st.now = ++t * 1000;
      return view.tick(ctx);
    };
    return { st, tick, view, tap };
  }

  it('skips while a pass found nothing and nothing happened; a flow opened, closed or an event brings it back', async () => {
    const { st, tick, view, tap } = setup();
    await tick();
    await tick();
    await tick();
    expect(st.passes, 'the first pass; then idle').to.equal(1);
    expect(view.skipped).to.equal(2);
    st.opened++;
    await tick();
    expect(st.passes, 'a flow opened').to.equal(2);
    await tick();
    st.closed++;
    await tick();
    expect(st.passes, 'a flow closed').to.equal(3);
    await tick();
    tap.publish({ rows: 4 } as ColumnBatch);
    await tick();
    expect(st.passes, 'events read').to.equal(4);
    await tick();
    expect(st.passes, 'idle again').to.equal(4);
  });

  it('runs every tick while passes find rows, and at least every TASKS_IDLE_EVERY_MS when idle', async () => {
    const { st, tick } = setup();
    st.rows = 3;
    for (let i = 0; i < 5; i++) await tick();
    expect(st.passes, 'threads active: every tick').to.equal(5);
    st.rows = 0;
    await tick(); // finds nothing
    const idleFrom = st.passes;
    for (let i = 0; i < TASKS_IDLE_EVERY_MS / 1000 - 1; i++) await tick();
    expect(st.passes, 'idle ticks within the idle period').to.equal(idleFrom);
    await tick();
    expect(st.passes, 'the idle period is over').to.equal(idleFrom + 1);
  });
});

describe('run: the owners pass on an idle namespace', function () {
  this.timeout(scaled(180_000));
  let ns = '';
  const stops: Array<() => Promise<void>> = [];

  before(function () {
    skipIf(this, !isRoot(), 'needs root (namespaces, eBPF)');
  });
  afterEach(async () => {
    killRuns();
    for (const s of stops.splice(0)) await s();
    if (ns) deleteNetns(ns);
  });

  it('skips passes while nothing new opened, records a socket opened after that, and only the namespace named', async function () {
    ns = createNetns('own');
    const nsInode = fs.statSync(`/run/netns/${ns}`).ino;
    const first = await startSampleWorkload(ns, { recv: 1 });
    stops.push(first.stop);
    const INTERVAL_MS = 1000,
      OWNERS_MS = 1000;
    const port = await freePort();
    const r = startRun(
      flags({
        sink: 'stdout',
        netns: ns,
        interval: `${INTERVAL_MS}ms`,
        ownersInterval: `${OWNERS_MS}ms`,
        views: 'poll,destroy,events,samples',
        listen: `127.0.0.1:${port}`,
      }),
    );
    let out = '';
    r.proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    // rows the owners passes handed on so far: every pass has the workloads' sockets
    const ownerRows = async (): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return Number(text.match(/^tcplens_view_rows_total\{view="owners"\} (\d+)/m)?.[1] ?? 0);
    };
    const waitMore = async (than: number, ms: number): Promise<number> => {
      for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if ((await ownerRows()) > than) return Date.now();
      return Infinity;
    };
    const started = await r.waitFor('run.started', 90_000);
    const parts = started['parts'] as Record<string, Record<string, string>>;
    if (!parts['samples']?.['owners'] || parts['samples']['owners'] === 'off') {
      r.proc.kill('SIGTERM');
      await r.exited;
      this.skip(); // the owners part does not load on this kernel (the start log says why)
    }
    const firstAt = await waitMore(0, scaled(60_000)); // the first pass: the first workload's owners
    expect(firstAt, 'a first owners pass').to.be.below(Infinity);
    // the views' first rounds may bring flows the first pass came too early for (the listener):
    // one more pass then, after which nothing is new
    await sleep(2500);
    const before = await ownerRows();
    await sleep(4000); // idle: no socket opens in the namespace
    const after = await ownerRows();
    expect(Date.now() - firstAt, 'the idle window ends before a full pass is due').to.be.below(OWNERS_FULL_EVERY * OWNERS_MS);
    expect(after, 'owner rows written in the idle window (a pass ran)').to.equal(before);
    const second = await startSampleWorkload(ns, { recv: 1 });
    stops.push(second.stop);
    const openedAt = Date.now();
    const seenAt = await waitMore(after, 30_000);
    // within --interval + --owners-interval of its opening (+ slack for a slow machine: the
    // kernel matrix's guests run under TCG)
    expect(seenAt - openedAt, 'ms from its opening to its owners pass').to.be.below(INTERVAL_MS + OWNERS_MS + 3000);
    r.proc.kill('SIGTERM');
    expect(await r.exited).to.equal(0);

    const owners = out
      .split('\n')
      .filter((l) => l.includes('"socket_owners"'))
      .map((l) => JSON.parse(l) as Row);
    expect(
      owners.filter((o) => Number(o['netns_inode']) !== nsInode),
      'only the namespace named: no other namespace of the host',
    ).to.have.length(0);
    expect(owners.some((o) => o['tgid'] === first.info.pid)).to.equal(true);
    expect(
      owners.some((o) => o['tgid'] === second.info.pid),
      'the owner of the sockets opened after the idle period',
    ).to.equal(true);
    // the task samples too: only threads of the namespace named (the workloads'), none of the host's
    const tasks = out
      .split('\n')
      .filter((l) => l.includes('"task_samples"'))
      .map((l) => JSON.parse(l) as Row);
    if (parts['samples']?.['tasks'] && parts['samples']['tasks'] !== 'off') {
      expect(tasks.length, 'samples of the workloads').to.be.at.least(1);
      // every process sampled that still lives is in the namespace (the workloads, their wrappers)
      const outside = [...new Set(tasks.map((t) => Number(t['tgid'])))].filter((pid) => {
        try {
          return fs.readlinkSync(`/proc/${pid}/ns/net`) !== `net:[${nsInode}]`;
        } catch {
          return false; // gone: it was a short-lived process of the namespace's
        }
      });
      expect(outside, 'samples of processes outside the namespace named').to.deep.equal([]);
      expect(tasks.some((t) => t['tgid'] === first.info.pid || t['tgid'] === second.info.pid)).to.equal(true);
    }
  });
});
