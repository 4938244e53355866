// The host pass (--poll-via host) against inet_diag: sockets in several
// namespaces, polled back to back by a per-namespace inet_diag poll and by
// one host-wide iter/task_file pass (plus the iter/tcp sweep for the sockets
// no process holds): the same sockets, each in its namespace, with the same
// value in every column the iterator provides; TIME_WAIT sockets come from
// the sweep, each namespace's on the cycles that sweep it (complete); a
// namespace not watched is left out; a kernel that refuses the host part
// leaves the poll on inet_diag.
import { expect } from 'chai';
import { IterPollSource, iterAvailability } from '../../src/sources/iter_poll';
import { PollSource } from '../../src/sources/poll';
import { createNetns, deleteNetns, isRoot, startWorkload, type Workload } from '../helpers/netns';
import { collector, compared, differences, pollFallbackWarnings, type Row } from '../helpers/poll_rows';
import { skipIf } from '../helpers/skip';
import { scaled } from '../helpers/time_scale';

const TIME_WAIT = '6';

describe('IterPollSource host pass (iter/task_file)', function () {
  this.timeout(scaled(60_000));
  const names: string[] = [];
  const loads: Workload[] = [];
  let src: IterPollSource;
  const list = (): { kind: 'list'; items: string[] } => ({ kind: 'list', items: names.slice(0, 3) });

  before(async function () {
    skipIf(this, !isRoot(), 'needs root to create network namespaces');
    const a = iterAvailability();
    skipIf(this, !a.ok, `iterator poll unavailable: ${a.ok ? '' : a.reason}`);
    for (let i = 0; i < 4; i++) names.push(createNetns('host'));
    src = new IterPollSource({ netns: list(), host: { sweepEvery: 1 } });
    try {
      src.start();
    } catch (e) {
      skipIf(this, true, `this kernel runs no host pass: ${(e as Error).message}`);
    }
    const specs = [
      {
        pairs: [
          { family: 4, send: 100000, unread: 5000, cong: 'reno', tos: 32, mark: 7 },
          { family: 6, send: 3000, shutdown: 'wr' },
        ],
        listeners: [{ family: 6 }],
        time_wait: 2,
      },
      { pairs: [{ family: 4 }, { family: 4, send: 10 }], listeners: [{ family: 4 }] },
      { pairs: [{ family: 6, send: 7000 }], time_wait: 1 },
      { pairs: [{ family: 4 }] }, // the namespace not watched
    ];
    for (let i = 0; i < specs.length; i++) loads.push(await startWorkload(names[i]!, specs[i]!));
  });

  after(async () => {
    src?.close();
    for (const w of loads) await w.stop();
    for (const n of names) deleteNetns(n);
  });

  it('reports the sockets of every watched namespace with what inet_diag reports, TIME_WAIT on sweep cycles', async () => {
    const watched = new Set(names.slice(0, 3));
    const diagSrc = new PollSource({ netns: list() });
    const cols = compared();
    const twCols = ['src', 'dst', 'sport', 'dport', 'idiag_family', 'idiag_state', 'idiag_cookie'];
    let diffs: string[] = [];
    let d = new Map<string, Row>();
    let h = new Map<string, Row>();
    let complete: boolean | undefined;
    // idle sockets do not move; a delayed ACK or a timer may, so the moment is retried
    for (let attempt = 0; attempt < 5; attempt++) {
      await new Promise((r) => setTimeout(r, 300));
      d = new Map();
      h = new Map();
      await diagSrc.cycle(collector(watched, d)); // generates the cookies the host pass reads
      complete = (await src.cycle(collector(watched, h), true)).complete; // sweepEvery 1: every cycle sweeps
      expect([...h.keys()].sort()).to.deep.equal([...d.keys()].sort());
      diffs = [...d].flatMap(([key, row]) =>
        differences(row, h.get(key)!, row.get('idiag_state') === TIME_WAIT ? twCols : cols).map(
          (x) => `${key} ${row.get('idiag_state')} ${x}`,
        ),
      );
      if (diffs.length === 0) break;
    }
    diagSrc.close();
    expect(complete).to.equal(true);
    const states = [...h.values()].map((r) => r.get('idiag_state'));
    expect(states.filter((s) => s === TIME_WAIT)).to.have.length(3);
    expect(new Set([...h.values()].map((r) => r.get('ns')))).to.deep.equal(watched);
    // ns0: 2 pairs x 3 + listener + 2 TIME_WAIT and their listener; ns1: 2 x 3 + 1; ns2: 3 + 1 + listener
    expect(h.size).to.equal(6 + 1 + 3 + 7 + 5);
    expect(diffs).to.deep.equal([]);
    const st = src.iterStats()!;
    expect(st.hostPasses).to.be.greaterThan(0);
    expect(st.malformed + st.writeErrors + st.dropped).to.equal(0);
  });

  it('sweeps each namespace for the sockets no process holds every --host-sweep cycles, spread over the cycles', async () => {
    const watched = new Set(names.slice(0, 3));
    const every2 = new IterPollSource({ netns: list(), host: { sweepEvery: 2 } });
    every2.start();
    try {
      // per cycle and namespace: complete, and its TIME_WAIT rows
      const seen: Array<Map<string, { complete: boolean; tw: number; rows: number }>> = [];
      for (let c = 0; c < 5; c++) {
        const h = new Map<string, Row>();
        const r = await every2.cycle(collector(watched, h), true);
        const per = new Map<string, { complete: boolean; tw: number; rows: number }>();
        for (const n of r.namespaces) {
          const rows = [...h.values()].filter((x) => x.get('ns') === n.ns.name);
          per.set(n.ns.name, {
            complete: n.complete!,
            tw: rows.filter((x) => x.get('idiag_state') === TIME_WAIT).length,
            rows: rows.length,
          });
        }
        expect(r.complete).to.equal([...per.values()].every((p) => p.complete));
        seen.push(per);
      }
      // the first cycle sweeps every namespace; then each is swept every other cycle, TIME_WAIT only then
      expect([...seen[0]!.values()].map((p) => p.complete)).to.deep.equal([true, true, true]);
      const tw = new Map([
        [names[0]!, 2],
        [names[1]!, 0],
        [names[2]!, 1],
      ]);
      for (const [name, n] of tw) {
        const flags = seen.map((per) => per.get(name)!.complete);
        expect(
          seen.map((per) => per.get(name)!.tw),
          name,
        ).to.deep.equal(flags.map((f) => (f ? n : 0)));
        // every namespace holds sockets: swept on every other cycle after the first
        expect(flags.slice(1), name).to.satisfy((f: boolean[]) => f.every((x, i) => i === 0 || x !== f[i - 1]));
      }
      // the owned sockets come every cycle: ns0's 2 pairs, a listener and the TIME_WAIT pairs' listener
      for (const per of seen) expect(per.get(names[0]!)!.rows - per.get(names[0]!)!.tw).to.equal(8);
    } finally {
      every2.close();
    }
  });

  it('falls back to inet_diag, saying why, when the kernel refuses the host part', () => {
    expect(pollFallbackWarnings('host', list(), 'host')).to.match(/poll via host unavailable.*host part is off.*refused/);
  });
});
