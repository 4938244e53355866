// The "poll dump cost" row: the wording from facts (pure), and a real
// measurement on this kernel: a namespace made with its own 1,024-bucket
// established hash (tcp_child_ehash_entries, 6.1+) says so, each namespace
// with its dump measured (what that buys is bench/ehash's to say); on older
// kernels the size is "not available on this kernel", never an error. Runs
// in the kernel matrix.
import { expect } from 'chai';
import { dumpCostRow, projectCost } from '../../src/preflight/dump_cost_row';
import { parseKernelLogEhash, type DumpCostFacts } from '../../src/preflight/dump_cost';
import type { PreflightReport } from '../../src/preflight';
import { createNetns, createNetnsWithEhash, deleteNetns, isRoot } from '../helpers/netns';
import { parseReport, rowOf, tcplens } from './run';
import { skipIf } from '../helpers/skip';
import { killRuns, startRun } from '../helpers/run_proc';
import { scaled } from '../helpers/time_scale';

const facts = (over: Partial<DumpCostFacts> = {}): DumpCostFacts => ({
  namespaces: 10,
  sampled: [
    { name: 'host', ehash: 262144, walkMs: 5, listenMs: 0.1 },
    { name: 'pod1', ehash: -262144, walkMs: 5, listenMs: 0.1 },
    { name: 'pod2', ehash: 1024, walkMs: 0.05, listenMs: 0.1 },
  ],
  perNetnsEhash: true,
  childEhash: 0,
  kernelLogEhash: null,
  ...over,
});

describe('preflight: poll dump cost', function () {
  this.timeout(scaled(180_000));

  describe('the row, from facts', () => {
    it('projects namespaces x empty dump / interval as a share of a core, listeners on their own period', () => {
      const p = projectCost(facts(), { intervalMs: 10_000, listenMs: 30_000 })!;
      // mean walk (5 + 5 + 0.05) / 3 ms over 10 namespaces every 10 s
      expect(p.share - p.listenShare).to.be.closeTo((10 * (10.05 / 3)) / 10_000, 1e-9);
      expect(p.listenShare).to.be.closeTo((10 * 0.1) / 30_000, 1e-9);
      const every = projectCost(facts(), { intervalMs: 10_000, listenMs: 0 })!;
      expect(every.listenShare).to.be.closeTo((10 * 0.1) / 10_000, 1e-9);
    });

    it('ok when small, with each table size; warn when large, naming tcp_child_ehash_entries', () => {
      const ok = dumpCostRow(facts(), { intervalMs: 10_000, listenMs: 30_000 });
      expect(ok.status).to.equal('ok');
      expect(ok.for).to.include("the host's 262,144 buckets").and.include('its own 1,024 buckets').and.include('0.34% of a core');
      const big = dumpCostRow(facts(), { intervalMs: 100, listenMs: 30_000 });
      expect(big.status).to.equal('warn');
      expect(big.for).to.match(/^large: .* every 100ms: 34% of a core/);
      expect(big.fix).to.include('tcp_child_ehash_entries=1,024');
    });

    it('before 6.1: the per-namespace size is "not available on this kernel", the kernel log gives the host\'s', () => {
      const old = facts({
        perNetnsEhash: false,
        childEhash: null,
        kernelLogEhash: 65536,
        sampled: [{ name: 'host', ehash: null, walkMs: 1, listenMs: 0.1 }],
      });
      const r = dumpCostRow(old, { intervalMs: 10_000, listenMs: 30_000 });
      expect(r.status).to.equal('ok');
      expect(r.for).to.include('not available on this kernel').and.include('65,536 buckets by the kernel log');
      expect(dumpCostRow(old, { intervalMs: 10, listenMs: 30_000 }).fix).to.include('Linux 6.1+');
      expect(parseKernelLogEhash('[ 0.3] TCP established hash table entries: 65536 (order: 7, 524288 bytes, linear)\n')).to.equal(65536);
      expect(parseKernelLogEhash('nothing')).to.equal(null);
    });

    it('what was not measured is named, and nothing measured is not ok', () => {
      const some = facts({ sampled: [...facts().sampled, { name: 'pod3', ehash: null, walkMs: null, listenMs: null, error: 'EPERM' }] });
      expect(dumpCostRow(some, { intervalMs: 10_000, listenMs: 30_000 }).for).to.include('not measured in pod3 (EPERM)');
      const none = facts({ sampled: [{ name: 'pod3', ehash: null, walkMs: null, listenMs: null, error: 'EPERM' }] });
      const r = dumpCostRow(none, { intervalMs: 10_000, listenMs: 30_000 });
      expect(r.status).to.equal('warn');
      expect(r.for).to.include('no namespace could be dumped');
    });
  });

  describe('measured on this kernel', () => {
    const made: string[] = [];
    before(function () {
      skipIf(this, !isRoot(), 'needs root (namespaces, inet_diag in them)');
    });
    after(() => {
      killRuns();
      for (const n of made.reverse()) deleteNetns(n);
    });

    it("a namespace with its own 1,024-bucket table (6.1+) says so, beside one sharing the host's, each with its dump measured", () => {
      const small = createNetnsWithEhash('ehs', 1024);
      const shared = createNetns('ehh');
      made.push(shared, ...(small ? [small.parent, small.name] : []));
      const names = small ? `${small.name},${shared}` : shared;
      const rep: PreflightReport = parseReport(tcplens('', ['preflight', '--json', '--netns', names, '--interval', '10s']));
      const row = rowOf(rep, 'poll dump cost');
      expect(row.status, row.for).to.equal('ok');
      const d = rep.dumpCost!;
      expect(d.namespaces).to.equal(small ? 2 : 1);
      const of = (n: string) => d.sampled.find((s) => s.name === n)!;
      for (const s of d.sampled) {
        expect(s.error, s.name).to.equal(undefined);
        expect(s.walkMs).to.be.a('number').and.above(0);
      }
      if (!small) {
        expect(d.perNetnsEhash).to.equal(false);
        expect(row.for).to.include('not available on this kernel');
        console.log(`    no tcp_child_ehash_entries on this kernel: ${row.for}`);
        return;
      }
      expect(of(small.name).ehash).to.equal(1024);
      expect(of(shared).ehash!).to.be.below(0); // the host's, shared
      expect(row.for).to.include('its own 1,024 buckets');
      const host = -of(shared).ehash!;
      // what each costs is printed, not asserted: a timed test flakes on a shared
      // machine and under qemu (ratios of 0.04x to 5.7x were seen here); bench/ehash
      // measures it (medians of 5 x 21 dumps beside the shared table's)
      const ratio = of(small.name).walkMs! / of(shared).walkMs!;
      console.log(
        `    empty dump: own 1,024 buckets ${of(small.name).walkMs} ms, host's ${host} buckets ${of(shared).walkMs} ms (${ratio.toFixed(2)}x)`,
      );
    });

    it("--interval short enough warns in preflight and in run's start log", async () => {
      const ns = createNetns('ehw');
      made.push(ns);
      const rep = parseReport(tcplens('', ['preflight', '--json', '--netns', ns, '--interval', '1ms']));
      const row = rowOf(rep, 'poll dump cost');
      expect(row.status).to.equal('warn');
      expect(rep.verdict).to.not.equal('ok');
      expect(row.fix).to.match(/--interval/);
      // run measures the same at start and logs the warning once
      const r = startRun([
        '--sink',
        'stdout',
        '--netns',
        ns,
        '--views',
        'poll',
        '--interval',
        '5ms',
        '--duration',
        '1s',
        '--listen',
        '127.0.0.1:0',
      ]);
      expect(await r.exited).to.equal(0);
      const warned = r.logs.filter((l) => l['key'] === 'preflight').map((l) => String(l['msg']));
      expect(warned.filter((m) => m.includes('preflight warn poll dump cost large:'))).to.have.length(1);
    });
  });
});
