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
import { OWNERS_FULL_EVERY, OwnersView } from '../../../src/run/views/samples';
import type { SampleSource } from '../../../src/sources/samples';
import type { ViewContext } from '../../../src/run/view';

type Row = Record<string, string | number>;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A row's ts as ms since the epoch (a DateTime string in UTC, or seconds). */
function tsMs(v: string | number | undefined): number {
  if (typeof v === 'number') return v > 1e15 ? v / 1e6 : v > 1e12 ? v : v * 1000;
  const s = String(v);
  return /^\d+$/.test(s) ? tsMs(Number(s)) : Date.parse(s.includes('T') ? s : `${s.replace(' ', 'T')}Z`);
}

describe('OwnersView: when a tick runs the pass', () => {
  /** The view over a stand-in source that counts passes, a table whose opened count the test moves, and a clock. */
  function setup(netns: ConstructorParameters<typeof OwnersView>[2] = { kind: 'all' }) {
    const st = { passes: 0, opened: 0, now: 0, filters: [] as number[][] };
    const src = {
      owners: async () => {
        st.passes++;
        return { seq: st.passes, tsNs: 0n, rows: 0, batches: 0, durationMs: 0 };
      },
      ownerNetns: (inodes: number[]) => {
        st.filters.push(inodes);
        return true;
      },
      close: () => undefined,
    } as unknown as SampleSource;
    const ctx = { table: { stats: () => ({ opened: st.opened }) }, sink: {} } as unknown as ViewContext;
    const view = new OwnersView(src, 1000, netns, () => st.now);
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

describe('run: the owners pass on an idle namespace', function () {
  this.timeout(180_000);
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
    const r = startRun([
      '--sink',
      'stdout',
      '--netns',
      ns,
      '--interval',
      `${INTERVAL_MS}ms`,
      '--owners-interval',
      `${OWNERS_MS}ms`,
      '--views',
      'poll,destroy,events,samples',
      '--listen',
      '127.0.0.1:0',
    ]);
    let out = '';
    r.proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const ownerRows = (): Row[] =>
      out
        .slice(0, out.lastIndexOf('\n') + 1) // whole lines only
        .split('\n')
        .filter((l) => l.includes('"socket_owners"'))
        .map((l) => JSON.parse(l) as Row);
    const waitOwners = async (pid: number, ms: number): Promise<void> => {
      for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (ownerRows().some((o) => o['tgid'] === pid)) return;
    };
    const started = await r.waitFor('run.started', 90_000);
    const parts = started['parts'] as Record<string, Record<string, string>>;
    if (!parts['samples']?.['owners'] || parts['samples']['owners'] === 'off') {
      r.proc.kill('SIGTERM');
      await r.exited;
      this.skip(); // the owners part does not load on this kernel (the start log says why)
    }
    await waitOwners(first.info.pid, 60_000); // the first pass: the first workload's owners
    // the views' first rounds may bring flows the first pass came too early for (the listener):
    // one more pass then, after which nothing is new
    await sleep(2500);
    const idleFrom = Date.now();
    await sleep(4000); // idle: no socket opens in the namespace
    const idleTo = Date.now();
    const second = await startSampleWorkload(ns, { recv: 1 });
    stops.push(second.stop);
    const openedAt = Date.now();
    await waitOwners(second.info.pid, 30_000);
    await sleep(500);
    r.proc.kill('SIGTERM');
    expect(await r.exited).to.equal(0);

    const owners = ownerRows().filter((x) => x['table'] === 'socket_owners');
    const passes = [...new Set(owners.map((o) => tsMs(o['ts'])))].sort((a, b) => a - b);
    expect(passes.length, 'owner passes').to.be.at.least(2);
    expect(
      owners.filter((o) => Number(o['netns_inode']) !== nsInode),
      'only the namespace named: no other namespace of the host',
    ).to.have.length(0);
    expect(owners.some((o) => o['tgid'] === first.info.pid)).to.equal(true);
    // the idle window ran no pass (a full one is due OWNERS_FULL_EVERY intervals after the first)
    expect(idleTo - passes[0]!, 'the idle window ends before a full pass is due').to.be.below(OWNERS_FULL_EVERY * OWNERS_MS);
    const idle = passes.filter((t) => t > idleFrom && t < idleTo);
    expect(idle, `passes in the idle window (${passes.map((t) => t - idleFrom).join(', ')} ms from its start)`).to.have.length(0);
    // the socket opened after the idle period has its owner, within --interval + --owners-interval
    // (+ slack for a slow machine: the kernel matrix's guests run under TCG)
    const late = owners.filter((o) => o['tgid'] === second.info.pid);
    expect(late.length, 'owner rows of the process that opened sockets after the idle period').to.be.at.least(1);
    const at = Math.min(...late.map((o) => tsMs(o['ts'])));
    expect(at - openedAt, 'ms from its opening to its owner row').to.be.below(INTERVAL_MS + OWNERS_MS + 3000);
  });
});
