// Keeps bench/fleet working: its --smoke run (20 simulated hosts replaying a
// short recorded 1,000-socket host, 6 s per strategy, into a private 2x2
// replicated cluster) for real: every row the hosts wrote is on both shards'
// replicas exactly once, and each figure stands beside its anchor. The buffer
// strategy's rows wait in the Buffer tables until they flush (up to 30 s): the
// bench waits for them before it counts.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { haveClickHouse } from '../helpers/clickhouse';
import { haveZooKeeper } from '../helpers/zookeeper';
import { isRoot } from '../helpers/netns';
import { skipIf } from '../helpers/skip';
import { itRefusesBadOptions, ROOT } from '../helpers/bench_cli';

const RUN = path.join(ROOT, 'bench/fleet/run.sh');

describe('bench/fleet --smoke', function () {
  this.timeout(900_000);

  itRefusesBadOptions(
    'fleet',
    ['bash', RUN],
    [
      [['--hosts', '10,x'], "--hosts: comma-separated counts > 0, got '10,x'"],
      [['--duration', '0'], "--duration, --flush-interval: whole seconds > 0, got '0'"],
      [['--bogus'], 'unknown option --bogus (see --help)'],
    ],
  );

  it('20 hosts through the sink into the 2x2 cluster: no row lost or doubled, every figure beside its anchor', function () {
    skipIf(this, !isRoot(), 'recording the host needs root (network namespaces)');
    skipIf(this, !haveClickHouse() || !haveZooKeeper(), 'clickhouse-server and zookeeper (scripts/bootstrap.sh installs them)');
    const r = spawnSync('bash', [RUN, '--smoke'], { cwd: ROOT, encoding: 'utf8' });
    const out = r.stdout;
    expect(r.status, `exit ${r.status}\n${out}\n${r.stderr}`).to.equal(0);
    expect(out).to.match(/buffer \(flush 2s, jitter 1s, into Buffer tables/);
    for (const st of ['naive', 'tuned', 'buffer']) {
      const m = new RegExp(
        `fleet 1000 N=20 ${st}: offered (\\d+) rows, written (\\d+), stored (\\d+) \\(shards\\) (\\d+) \\(replicas\\), missing (\\d+), doubled (\\d+), dropped (\\d+), spooled left (\\d+)`,
      ).exec(out);
      expect(m, `${st} in:\n${out}`).to.not.equal(null);
      const [offered, written, shards, replicas, missing, doubled, dropped, left] = m!.slice(1).map(Number);
      expect(written, st).to.be.above(1000);
      expect(written, st).to.equal(offered); // everything offered was written once the hosts drained
      expect([shards, replicas, missing, doubled, dropped, left], st).to.deep.equal([written, written, 0, 0, 0, 0]);
    }
    for (const label of [
      'inserts/s',
      'rows/s (written, wall)',
      'insert latency p50 ms',
      'max parts per partition',
      'server CPU s per M rows',
    ]) {
      const lines = out.split('\n').filter((l) => l.startsWith(label));
      expect(lines, label).to.have.length(3); // one per strategy
      for (const l of lines) {
        const cells = l.slice(label.length).trim().split(/\s+/);
        expect(Number(cells[0]), l).to.be.above(0);
        expect(Number(cells[1]), l).to.be.above(0);
        expect(cells[2], l).to.match(/^\d+\.\d\dx$/);
      }
    }
    expect(out).to.match(/parts per partition over time/);
  });
});
