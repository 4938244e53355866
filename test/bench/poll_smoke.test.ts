// Keeps bench/poll working: runs its --smoke mode (2,000 sockets, 1 rep) for
// real and checks the table has the three commands, the sidecar's steady
// cycle, the iter/tcp walk's own cost, and (--sink) the whole `tcplens run`
// with its ClickHouse sink, with sane figures.
import { expect } from 'chai';
import { isRoot } from '../helpers/netns';
import { rowCells, smokeRun } from '../helpers/bench';
import { skipIf } from '../helpers/skip';

describe('bench/poll --smoke', function () {
  this.timeout(300_000); // ~30 s on an idle machine; minutes on a loaded one

  it('measures the floor, ss, tcplens --once and the tcplens sidecar on the sockets it built', function () {
    skipIf(this, !isRoot(), 'needs root to create network namespaces');
    const out = smokeRun('bench/poll/run.sh', '--sink');

    // The floor saw exactly what the farms built, and so did tcplens.
    const m = /^tcplens poll benchmark: (\d+) sockets .*?\(built (\d+): (\d+) established.*tcplens counted (\d+)/m.exec(out);
    expect(m, out).to.not.equal(null);
    const [seen, built, est, tl] = m!.slice(1).map(Number);
    expect(est).to.equal(2000);
    expect(seen).to.equal(built);
    expect(tl).to.equal(built);

    for (const label of ['floor (raw dump)', 'ss -tinmHO', 'tcplens --once (whole process)']) {
      const [user, sys, total, wall, rss, xFloor, , ok] = rowCells(out, label);
      for (const v of [user, sys]) expect(Number(v), `${label}: ${v}`).to.be.at.least(0);
      for (const v of [total, wall, rss, xFloor]) expect(Number(v), `${label}: ${v}`).to.be.above(0);
      expect(Number(total)).to.be.closeTo(Number(user) + Number(sys), 0.01); // one run: medians add up
      expect(ok).to.equal('1/1');
    }
    expect(out).to.match(/^goal --once \(whole process\): tcplens <= 1\.2x floor: [\d.]+x (MET|NOT MET)/m);

    // The sidecar: medians of cycles 2-6 (user, sys and total each on their own,
    // so they need not add up); maxRSS is the whole process's.
    const [user, sys, total, wall, rss, xFloor, ssOver, ok] = rowCells(out, 'tcplens sidecar (steady cycle)');
    for (const v of [user, sys]) expect(Number(v), `sidecar: ${v}`).to.be.at.least(0);
    for (const v of [total, wall, rss, xFloor, ssOver]) expect(Number(v), `sidecar: ${v}`).to.be.above(0);
    expect(ok).to.equal('1/1');
    expect(out).to.match(/--count 6 --format none`: per rep, the median of cycles 2-6/);
    expect(out).to.match(
      /^goal sidecar \(steady cycle\): tcplens <= 1\.2x floor: [\d.]+x (MET|NOT MET); ss >= 3x tcplens: [\d.]+x (MET|NOT MET)/m,
    );

    // the iterator poll's anchors: the walk alone costs something, and reading a field of each socket no less
    const walk = rowCells(out, 'iter/tcp walk, empty program'),
      walkRead = rowCells(out, 'iter/tcp walk + 1 tcp_sock field');
    expect(Number(walk[2]), `walk: ${walk.join(' ')}`).to.be.above(0);
    expect(Number(walkRead[2]), `walk + field: ${walkRead.join(' ')}`).to.be.above(0);
    expect(walk[7]).to.equal('1/1');
    expect(out).to.match(/^the walk's own cost .*: empty program [\d.]+x the floor, \+ one tcp_sock field [\d.]+x/m);

    // --sink: the whole `tcplens run` into a private ClickHouse, minus its empty-namespace run.
    // (the whole-run row subtracts two runs' start-up: at smoke size, 4 cycles of
    // 2,000 sockets, their noise, ~±50 ms of CPU, outweighs the ~40 ms it
    // measures, so it is only checked to be a figure; the steady row below
    // measures inside one run and must be positive)
    const sink = rowCells(out, 'tcplens run + ClickHouse sink (per cycle)');
    expect(Number.isFinite(Number(sink[2])), `sink total: ${sink.join(' ')}`).to.equal(true);
    expect(Number(sink[4]), 'sink maxRSS').to.be.above(0);
    expect(sink[7]).to.equal('1/1');
    // ... and in steady state, from the process CPU it logged at the end of each cycle
    const steady = rowCells(out, 'tcplens run + sink (steady cycle)');
    expect(Number(steady[2]), `sink steady total: ${steady.join(' ')}`).to.be.above(0);
    expect(steady[7]).to.equal('1/1');
    expect(out).to.match(
      /^goal sidecar with the sink: <= 2x floor per socket per cycle: -?[\d.]+x (MET|NOT MET) \(whole run\), [\d.]+x (MET|NOT MET) \(steady\); RSS < 150 MB: [\d.]+ MB (MET|NOT MET)/m,
    );
  });
});
