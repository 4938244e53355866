// --listen-interval: the poll's dumps leave listeners out (the kernel then
// skips its listening hash) and the listen view polls them on their own,
// slower period. A real run on a namespace with listeners and a connection:
// listener rows come once per listen cycle (and with the first poll), the
// connection's every cycle; the health metrics keep the listeners between
// listen cycles; listeners are never flows.
import { expect } from 'chai';
import { createNetns, deleteNetns, isRoot, startWorkload, type Workload } from '../helpers/netns';
import { collectStdout, killRuns, ndjsonRows, startRun } from '../helpers/run_proc';
import { skipIf } from '../helpers/skip';
import { scaled } from '../helpers/time_scale';

type Row = Record<string, string | number>;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const LISTEN = 10;

/** `metric{view="name"} value` from a Prometheus text page */
function sample(page: string, metric: string, label = ''): number {
  const line = page.split('\n').find((l) => l.startsWith(`${metric}${label ? `{${label}}` : ''} `));
  return line ? Number(line.split(' ').pop()) : NaN;
}

/** A run for at least ms, and on until it wrote minCycles poll cycles (a loaded
 * host or a TCG guest makes fewer 200 ms cycles in the same time); its rows, its
 * metrics page just before the stop, and how long it ran. */
async function runFor(ns: string, extra: string[], ms: number, minCycles: number): Promise<{ rows: Row[]; before: string; ranMs: number }> {
  const r = startRun(['--sink', 'stdout', '--netns', ns, '--views', 'poll', '--interval', '200ms', '--listen', '127.0.0.1:0', ...extra]);
  const out = collectStdout(r.proc);
  const started = await r.waitFor('run.started', 90_000);
  const t0 = Date.now();
  await sleep(ms);
  const page = async (): Promise<string> => (await fetch(`${String(started['listen'])}/metrics`)).text();
  let before = await page();
  // the stdout sink writes poll_cycles rows at its flush: count the poll's ticks instead
  while (!(sample(before, 'tcplens_view_ticks_total', 'view="poll"') > minCycles) && Date.now() - t0 < scaled(60_000)) {
    await sleep(200);
    before = await page();
  }
  const ranMs = Date.now() - t0;
  r.proc.kill('SIGTERM');
  expect(await r.exited).to.equal(0);
  return { rows: ndjsonRows<Row>(out()), before, ranMs };
}

describe('tcplens run --listen-interval: listeners on their own period', function () {
  this.timeout(scaled(180_000));
  let ns = '';
  let wl: Workload | null = null;

  before(function () {
    skipIf(this, !isRoot(), 'needs root (namespaces)');
  });
  beforeEach(async () => {
    ns = createNetns('lsn');
    // one connection (and its server's listener), and a listener of each family
    wl = await startWorkload(ns, { pairs: [{ family: 4 }], listeners: [{ family: 4 }, { family: 6 }] });
  });
  afterEach(async () => {
    killRuns();
    await wl?.stop();
    wl = null;
    if (ns) deleteNetns(ns);
  });

  it('listener rows once per listen cycle, the connection every cycle; listeners kept between listen cycles', async () => {
    const { rows, before, ranMs } = await runFor(ns, ['--listen-interval', '2s'], 4500, 12);
    const snaps = rows.filter((x) => x['table'] === 'tcp_snapshots' && x['view'] === 'poll');
    const cycles = rows.filter((x) => x['table'] === 'poll_cycles').length;
    const listeners = snaps.filter((x) => Number(x['idiag_state']) === LISTEN);
    const estab = snaps.filter((x) => Number(x['idiag_state']) === 1);
    const pollTicks = sample(before, 'tcplens_view_ticks_total', 'view="poll"');
    const listenTicks = sample(before, 'tcplens_view_ticks_total', 'view="listen"');
    expect(cycles, 'poll cycles').to.be.at.least(12);
    expect(estab.length, 'both ends of the connection, every cycle').to.be.at.least(2 * (cycles - 1));
    // 3 listeners: in the first poll's dump (every state) and in each listen cycle
    expect(listenTicks, 'listen cycles by the metrics: at the start, then every 2 s').to.be.within(2, Math.floor(ranMs / 2000) + 2);
    expect(pollTicks).to.be.at.least(listenTicks * 4);
    expect(listeners.length % 3, 'whole listen cycles').to.equal(0);
    // the first poll's dump, the listen ticks the page counted, the tick the stop
    // adds (finish ticks every view once more), and at most one listen tick that
    // fell between the page and the stop (a slow guest's page fetch)
    expect(listeners.length / 3, 'dumps with listeners: the first poll, the listen cycles, the stop').to.be.within(
      listenTicks + 2,
      listenTicks + 3,
    );
    expect(listeners.length).to.be.below(cycles);
    // between listen cycles, the poll's dumps leave listeners out without forgetting them
    expect(sample(before, 'tcplens_health_listeners'), 'listeners by the health metrics').to.equal(3);
    // listeners are not flows: no flow row without a peer
    expect(rows.filter((x) => x['table'] === 'tcp_flows' && Number(x['dport']) === 0)).to.have.length(0);
  });

  it("'every': listeners in every poll's dump, no listen view", async () => {
    const { rows, before } = await runFor(ns, ['--listen-interval', 'every'], 2500, 5);
    const cycleRows = rows.filter((x) => x['table'] === 'poll_cycles');
    const cycles = cycleRows.length;
    // no events view: nothing vouches for known sockets, so no exact poll, only plain dumps
    expect(new Set(cycleRows.map((x) => `${x['mode']}/${x['dump_reason']}`))).to.deep.equal(new Set(['dump/']));
    const listeners = rows.filter((x) => x['table'] === 'tcp_snapshots' && Number(x['idiag_state']) === LISTEN);
    expect(cycles).to.be.at.least(5);
    expect(listeners.length).to.equal(3 * cycles);
    expect(Number.isNaN(sample(before, 'tcplens_view_ticks_total', 'view="listen"')), 'no listen view').to.equal(true);
  });
});
