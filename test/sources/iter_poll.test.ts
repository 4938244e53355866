// The iterator poll against inet_diag: on the same idle sockets, polled back
// to back, every column the iterator provides equals what inet_diag reports
// (docs/views.md lists the kernel-side differences, which the comparison
// skips); a pass that is not full emits only the sockets that moved; a
// kernel that refuses every variant leaves the poll on inet_diag.
import { expect } from 'chai';
import * as readline from 'readline';
import { IterPollSource, iterAvailability, notProvided } from '../../src/sources/iter_poll';
import { PollSource } from '../../src/sources/poll';
import { iterAddon } from '../../src/native/iter_addon';
import { addon } from '../../src/native/addon';
import { collector, compared, differences, pollFallbackWarnings, type Row } from '../helpers/poll_rows';
import { startWorkload, suiteNetns, type Workload } from '../helpers/netns';
import { skipIf } from '../helpers/skip';
import { scaled } from '../helpers/time_scale';

describe('IterPollSource (iter/tcp)', function () {
  this.timeout(scaled(60_000));
  const ns = suiteNetns('iter');
  const loads: Workload[] = [];
  let src: IterPollSource;
  const listening = (m: Map<string, Row>): Row[] => [...m.values()].filter((r) => r.get('idiag_state') === '10');
  const others = (m: Map<string, Row>): Row[] => [...m.values()].filter((r) => r.get('idiag_state') !== '10');

  before(function () {
    const a = iterAvailability();
    skipIf(this, !a.ok, `iterator poll unavailable: ${a.ok ? '' : a.reason}`);
    src = new IterPollSource({ netns: { kind: 'list', items: [ns.name] } });
    try {
      src.start();
    } catch (e) {
      skipIf(this, true, `this kernel runs no variant of the iterator poll: ${(e as Error).message}`);
    }
  });

  after(async () => {
    src?.close();
    for (const w of loads) await w.stop();
  });

  it('reports, on the same idle sockets, what inet_diag reports in every column it provides', async () => {
    loads.push(
      await startWorkload(ns.name, {
        pairs: [
          { family: 4, send: 100000, unread: 5000, cong: 'reno', tos: 32, mark: 7 },
          { family: 6, send: 3000, shutdown: 'wr' },
          { family: 4 },
        ],
        listeners: [{ family: 4 }, { family: 6 }],
      }),
    );
    const diagSrc = new PollSource({ netns: { kind: 'list', items: [ns.name] } });
    const cols = compared();
    let diffs: string[] = [];
    let rows = 0;
    // idle sockets do not move; a delayed ACK or a timer may, so the moment is retried
    for (let attempt = 0; attempt < 5; attempt++) {
      await new Promise((r) => setTimeout(r, 300));
      const d = new Map<string, Row>();
      const it = new Map<string, Row>();
      await diagSrc.cycle(collector(ns.name, d));
      await src.cycle(collector(ns.name, it), true);
      expect([...it.keys()].sort()).to.deep.equal([...d.keys()].sort());
      rows = d.size;
      diffs = [...d].flatMap(([cookie, row]) =>
        differences(row, it.get(cookie)!, cols).map((x) => `${cookie} ${row.get('idiag_state')} ${x}`),
      );
      if (diffs.length === 0) break;
    }
    diagSrc.close();
    expect(rows).to.equal(3 * 3 + 2);
    expect(diffs).to.deep.equal([]);
  });

  it('flags the columns it leaves zero', () => {
    const np = notProvided();
    expect(np).to.include('tcpi_rto');
    expect(np).to.not.include('tcpi_bytes_acked');
    expect(np.length + iterAddon().iterProvides().length).to.equal(addon().layout(1).columns.length);
  });

  it('emits only the sockets that moved on a pass that is not full', async function () {
    skipIf(this, !src.detectsChanges, `no change detection on this kernel (${src.parts()[0]?.program}: ${src.parts()[0]?.why})`);
    const full = new Map<string, Row>();
    await src.cycle(collector(ns.name, full), true);
    expect(full.size).to.be.greaterThan(0);
    const quiet = new Map<string, Row>();
    await src.cycle(collector(ns.name, quiet), false);
    // listeners always (a SYN moves their accept queue, not their activity stamp); nothing else moved
    expect(others(quiet)).to.deep.equal([]);
    expect(listening(quiet).length).to.equal(listening(full).length);
    const more = await startWorkload(ns.name, { pairs: [{ family: 4, send: 1000 }] });
    loads.push(more);
    const moved = new Map<string, Row>();
    await src.cycle(collector(ns.name, moved), false);
    const ports = new Set(more.info.sockets.map((s) => String(s.sport)));
    expect(others(moved).length).to.equal(2);
    for (const r of others(moved)) expect(ports.has(r.get('sport')!)).to.equal(true);
    const st = src.iterStats()!;
    expect(st.socksUnchanged).to.be.greaterThan(0);
    expect(st.malformed + st.writeErrors + st.dropped).to.equal(0);
  });

  it('emits an idle socket again once its application reads (no segment from the peer)', async function () {
    skipIf(this, !src.detectsChanges, `no change detection on this kernel (${src.parts()[0]?.program}: ${src.parts()[0]?.why})`);
    const w = loads[0]!; // the first test's workload: one server holds 5000 unread bytes
    const server = w.info.sockets.find((s) => s.role === 'server' && Number(s.unread) > 0)!;
    await src.cycle(collector(ns.name, new Map()), true);
    const before = new Map<string, Row>();
    await src.cycle(collector(ns.name, before), false);
    expect(others(before).filter((r) => r.get('sport') === String(server.sport))).to.deep.equal([]);
    const read = new Promise<string>((res) => readline.createInterface({ input: w.proc.stdout! }).once('line', res));
    w.proc.stdin!.write('read\n');
    expect(JSON.parse(await read)).to.deep.equal({ read: 5000 });
    const after = new Map<string, Row>();
    await src.cycle(collector(ns.name, after), false);
    const rows = others(after).filter((r) => r.get('sport') === String(server.sport));
    expect(rows.length).to.equal(1);
    expect(rows[0]!.get('idiag_rqueue')).to.equal('0');
  });

  it('falls back to inet_diag, saying why, when the kernel refuses every variant', () => {
    expect(pollFallbackWarnings('iter', { kind: 'list', items: [ns.name] }, 'sockets')).to.match(/poll via iter unavailable.*refused/);
  });
});
