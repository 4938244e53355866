// Namespace churn: namespaces made and removed while `tcplens run --netns all`
// polls with the destroy and events views on. File descriptors and threads
// come back to their baseline, every namespace that lives two cycles is
// polled within two cycles of its birth and then every cycle until it goes,
// and the only errors are the counted ones (a namespace removed in the middle
// of a cycle). TCPLENS_CHURN_NS sets how many (default 100; bench/churn runs
// 1,000), TCPLENS_CHURN_INTERVAL_MS the run's interval (default 1000).
import { expect } from 'chai';
import { prng } from '../helpers/nlrec';
import { isRoot } from '../helpers/netns';
import { killRuns } from '../helpers/run_proc';
import { skipIf } from '../helpers/skip';
import { startChurnRun, type ChurnNs, type ChurnRun } from '../helpers/netns_churn';
import { eventsAvailability } from '../../src/sources/events';

const N = Number(process.env.TCPLENS_CHURN_NS ?? 100);
const INTERVAL = Number(process.env.TCPLENS_CHURN_INTERVAL_MS ?? 1000);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

describe('tcplens run under namespace churn (private PID and mount namespaces)', function () {
  this.timeout(600_000 + N * 1000);
  let c: ChurnRun | null = null;

  beforeEach(function () {
    skipIf(this, !isRoot(), 'needs root to create network, PID and mount namespaces');
  });
  afterEach(() => {
    c?.cleanup();
    c = null;
    killRuns();
  });

  it(`${N} namespaces made and removed: fds and threads back to baseline, each polled within two cycles, only counted errors`, async () => {
    const views = eventsAvailability().ok ? 'poll,destroy,events' : 'poll,destroy';
    // --bpf-stats on: its fd held the whole run (the default's windows open and close one)
    c = await startChurnRun(['--interval', `${INTERVAL}ms`, '--views', views, '--bpf-stats', 'on']);
    await sleep(3 * INTERVAL); // every view up, every pool thread started
    const fd0 = c.fds();
    const th0 = c.threads();

    const rnd = prng(0xc4a2);
    const lifetime = new Map<string, number>();
    const all: ChurnNs[] = [];
    let live: ChurnNs[] = [];
    let made = 0;
    const perWave = 2;
    const t0 = Date.now();
    while (made < N || live.length) {
      const add: string[] = [];
      for (let k = 0; k < perWave && made < N; k++) {
        const name = `tlc-${process.pid}-${made++}`;
        add.push(name);
        // most live 1-8 intervals; a few less than one (gone before any poll may see them)
        lifetime.set(name, (rnd() < 0.15 ? rnd() : 1 + rnd() * 7) * INTERVAL);
      }
      const now = Date.now();
      const del = live.filter((n) => now - n.added >= lifetime.get(n.name)!);
      const fresh = c.batch(add, del);
      live = live.filter((n) => !del.includes(n)).concat(fresh);
      all.push(...fresh);
      await sleep(INTERVAL / 2);
    }
    const churnMs = Date.now() - t0;
    // back to baseline once the run has seen the last removals: two whole cycles begun after
    // them, then (a loaded host stretches cycles) up to ten more intervals for the count to settle
    const lastDel = Math.max(...all.map((n) => n.deleted));
    const after = (): number => new Set(c!.rows.filter((r) => r.tsMs > lastDel).map((r) => r.tsMs)).size;
    for (let i = 0; i < 600 && after() < 3; i++) await sleep(100);
    for (let i = 0; i < 10 && (c.fds() !== fd0 || c.threads() !== th0); i++) await sleep(INTERVAL);
    const fd1 = c.fds();
    const th1 = c.threads();
    const run = c.run;
    // a run killed by a signal at its stop: what it printed last says why
    expect(await c.stop(), `exit at SIGTERM; stderr: ${run.other.slice(-10).join(' | ')} ${JSON.stringify(run.logs.slice(-4))}`).to.equal(
      0,
    );

    // the rows are the evidence: the sink must have written every one it was given
    const tables = (run.last('run.totals')?.['tables'] ?? {}) as Record<string, { queued: number; written: number; dropped: number }>;
    const pc = tables['poll_cycles'];
    expect(pc, JSON.stringify(run.last('run.totals'))).to.not.equal(undefined);
    expect(pc!.dropped, 'poll_cycles rows dropped by the stdout sink').to.equal(0);
    expect(c.rows.length, 'poll_cycles rows read from stdout').to.equal(pc!.written);

    // A cycle walks the namespaces it found when it started, one after the other (each dump
    // costs milliseconds even when empty, ENVIRONMENT.md), so cycles run longer than the
    // interval when many namespaces are live: count in cycles, as they happened.
    const cycles = new Map<number, number>(); // start -> duration
    for (const r of c.rows) cycles.set(r.tsMs, Math.max(cycles.get(r.tsMs) ?? 0, r.durationMs));
    const starts = [...cycles.keys()].sort((a, b) => a - b);
    const polled = new Set(c.rows.map((r) => `${r.name}@${r.tsMs}`));
    let checked = 0;
    let worstLag = 0;
    for (const n of all) {
      // the cycles that began after it was made and ended before its removal began
      const due = starts.filter((t) => t >= n.added && t + cycles.get(t)! <= n.deleted);
      if (due.length < 2) continue; // lived less than two cycles: may be missed
      checked++;
      const seen = due.map((t) => polled.has(`${n.name}@${t}`));
      const first = seen.indexOf(true);
      const why = `${n.name} (made ${n.added - t0} ms, removed ${n.deleted - t0} ms into the churn); cycles: ${starts
        .filter((t) => t >= n.addStart - 3 * INTERVAL && t <= n.deleted + INTERVAL)
        .map((t) => `${t - t0}+${cycles.get(t)!.toFixed(0)}${polled.has(`${n.name}@${t}`) ? '*' : ''}`)
        .join(' ')}`;
      expect(first, `not polled within two cycles: ${why}`).to.be.within(0, 1);
      expect(seen.slice(first).every(Boolean), `missed a cycle after its first: ${why}`).to.equal(true);
      worstLag = Math.max(worstLag, first + 1);
    }
    // enough namespaces checked to mean something: 80 of 100 on a quiet host; 21 while
    // another process held 99k sockets (each namespace's dump walks the host's sockets,
    // cycles stretch, and fewer namespaces outlive two of them)
    expect(checked, 'namespaces that lived two cycles').to.be.greaterThan(N / 6);

    // errors: only namespaces removed during the cycle that polled them, counted in their row
    const deletedAt = new Map(all.map((n) => [n.name, n.deleted]));
    for (const r of c.rows.filter((x) => x.errors > 0)) {
      expect(r.tsMs, `${r.name}: ${r.errorCode} while it existed`).to.be.at.least(deletedAt.get(r.name)! - INTERVAL);
    }
    const bad = run.logs.filter((l) => l['level'] === 'error' || l['level'] === 'fatal');
    expect(bad, JSON.stringify(bad.slice(0, 3))).to.deep.equal([]);
    expect(run.other, run.other.slice(0, 5).join('\n')).to.deep.equal([]);

    // every descriptor and thread the namespaces took is given back
    expect(fd1, `fds ${fd0} -> ${fd1}`).to.equal(fd0);
    expect(th1, `threads ${th0} -> ${th1}`).to.equal(th0);
    const errs = c.rows.filter((x) => x.errors > 0).length;
    console.log(
      `    churn: ${N} namespaces in ${(churnMs / 1000).toFixed(1)} s (${views}, interval ${INTERVAL} ms); ` +
        `${checked} lived >= 2 cycles, each first polled in cycle <= ${worstLag} after its birth and then in every cycle; ` +
        `${starts.length} cycles, median ${median([...cycles.values()]).toFixed(0)} ms each (interval ${INTERVAL} ms); counted errors ${errs}; ` +
        `fds ${fd0} -> ${fd1}, threads ${th0} -> ${th1}`,
    );
  });
});
