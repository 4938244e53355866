// `tcplens run` with every view, into ndjson on stdout (no ClickHouse: this
// test also runs inside the kernel matrix's guests), against a known
// workload: whatever parts this kernel runs, their rows are there and join
// the poll view's. Threads blocked in recv (samples, owners), then short
// connections (events, destroy, flows).
import { expect } from 'chai';
import { createNetns, deleteNetns, isRoot } from '../helpers/netns';
import { churn } from '../helpers/churn';
import { collectStdout, killRuns, ndjsonRows, startRun } from '../helpers/run_proc';
import { startSampleWorkload } from '../helpers/samples';
import { VIEW_EVENTS, VIEW_POLL } from '../../src/correlate/flow_row';
import { skipIf } from '../helpers/skip';
import { DUMP_REASONS } from '../../src/sources/poll_lookup';
import { scaled } from '../helpers/time_scale';

type Row = Record<string, string | number>;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('tcplens run: every view this kernel runs, into ndjson', function () {
  this.timeout(scaled(180_000));
  let ns = '';
  let stopWl: () => Promise<void> = async () => undefined;

  before(function () {
    skipIf(this, !isRoot(), 'needs root (namespaces, eBPF)');
  });
  afterEach(async () => {
    killRuns();
    await stopWl();
    if (ns) deleteNetns(ns);
  });

  it('poll rows every cycle; events, samples and owners rows for the parts that run; flows joined on the cookie', async () => {
    ns = createNetns('runv');
    const wl = await startSampleWorkload(ns, { recv: 2 });
    stopWl = wl.stop;
    const r = startRun([
      '--sink',
      'stdout',
      '--netns',
      ns,
      '--interval',
      '1s',
      '--drain-interval',
      '100ms',
      '--sample-hz',
      '4',
      '--owners-interval',
      '1s',
      '--listen',
      '127.0.0.1:0',
    ]);
    const out = collectStdout(r.proc);
    const started = await r.waitFor('run.started', 90_000);
    const parts = started['parts'] as Record<'events' | 'samples', Record<string, string>>;
    await sleep(1500);
    const N = 5,
      BYTES = 300;
    const truth = churn(ns, N, BYTES);
    await sleep(1500);
    await wl.stop(); // the long-lived sockets close too
    stopWl = async () => undefined;
    await sleep(2500);
    r.proc.kill('SIGTERM');
    expect(await r.exited).to.equal(0);
    const rows = ndjsonRows<Row>(out());
    const of = (t: string): Row[] => rows.filter((x) => x['table'] === t);

    // poll: the workload's established sockets, each with a cookie
    const snaps = of('tcp_snapshots').filter((x) => x['view'] === 'poll' && Number(x['idiag_state']) === 1);
    expect(snaps.length).to.be.at.least(4);
    const cookieOf = new Map(snaps.map((x) => [`${x['sport']}>${x['dport']}`, String(x['idiag_cookie'])]));
    const cycles = of('poll_cycles');
    expect(cycles.length).to.be.at.least(2);
    // with the events view the poll is exact: a namespace-cycle is lookups, or a dump with why
    expect(cycles[0]!['mode'], 'the first cycle learns by a dump').to.equal('dump');
    expect(cycles[0]!['dump_reason']).to.be.oneOf(['first', 'events']);
    for (const c of cycles) {
      if (c['mode'] === 'lookup') expect(c['dump_reason']).to.equal('');
      else {
        expect(c['mode']).to.equal('dump');
        expect(c['dump_reason']).to.be.oneOf([...DUMP_REASONS]);
      }
    }

    const port = truth.listener[1];
    const flows = of('tcp_flows').filter((f) =>
      truth.flows.some((t) => (f['sport'] === t.sport && f['dport'] === port) || (f['sport'] === port && f['dport'] === t.sport)),
    );
    expect(flows, 'a flow per side of each short connection').to.have.length(2 * N);
    if (parts.events['state'] !== 'off') {
      const ev = of('tcp_events').filter((e) => Number(e['kind']) === 1 && truth.flows.some((t) => e['sport'] === t.sport));
      expect(ev, 'active opens').to.have.length(N);
      for (const f of flows)
        expect(Number(f['views']) & VIEW_EVENTS, `flow ${f['sport']}>${f['dport']} seen by events`).to.equal(VIEW_EVENTS);
    }
    // the long-lived sockets, polled while they lived, under the poll's cookie
    const recv = wl.info.threads.filter((t) => t.role === 'recv');
    for (const t of recv) {
      const f = of('tcp_flows').find((x) => x['sport'] === t.sport && x['dport'] === t.dport);
      expect(f, `the flow of recv thread ${t.tid}`).to.not.equal(undefined);
      expect(Number(f!['views']) & VIEW_POLL).to.equal(VIEW_POLL);
      expect(String(f!['idiag_cookie'])).to.equal(cookieOf.get(`${t.sport}>${t.dport}`));
    }

    if (parts.samples['tasks'] && parts.samples['tasks'] !== 'off') {
      const samples = of('task_samples');
      for (const t of recv) {
        const s = samples.find((x) => x['pid'] === t.tid && x['sport'] === t.sport);
        expect(s, `a sample of recv thread ${t.tid}`).to.not.equal(undefined);
        expect(String(s!['idiag_cookie'])).to.equal(cookieOf.get(`${t.sport}>${t.dport}`));
      }
    }
    if (parts.samples['owners'] && parts.samples['owners'] !== 'off') {
      const owners = of('socket_owners').filter((o) => o['tgid'] === wl.info.pid);
      expect(owners.length, 'owner rows of the workload').to.be.at.least(1 + 2 * recv.length);
    }
  });
});
