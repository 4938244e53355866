// Keeps bench/sizing working: its --smoke mode (1,000 sockets, 6 s at a 2 s
// interval, a private ClickHouse) for real; the figures must be consistent
// with the sockets it built and with its anchors.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { isRoot } from '../helpers/netns';
import { haveCommand } from '../helpers/skip';

const ROOT = path.resolve(__dirname, '../../..');

describe('bench/sizing --smoke', function () {
  this.timeout(180_000);

  it('bad options: one line, exit 2, before anything starts', function () {
    if (!isRoot()) {
      console.log('    skipped: the script checks for root first');
      this.skip();
    }
    for (const [args, msg] of [
      [['--active', '150'], "--active: a percentage 0-100, got '150'"],
      [['--sockets', '1000,x'], "--sockets: comma-separated counts >= 2, got 'x'"],
    ] as const) {
      const r = spawnSync('bash', [path.join(ROOT, 'bench/sizing/run.sh'), ...args], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status).to.equal(2);
      expect(r.stderr).to.equal(`sizing: ${msg}\n`);
    }
  });

  it('measures rows and bytes per day into a private ClickHouse, beside the inet_diag and ss anchors', function () {
    if (!isRoot()) {
      console.log('    skipped: needs root to create network namespaces');
      this.skip();
    }
    if (!haveCommand('clickhouse-server')) {
      console.log('    skipped: clickhouse-server not installed (bash scripts/bootstrap.sh)');
      this.skip();
    }
    const r = spawnSync('bash', [path.join(ROOT, 'bench/sizing/run.sh'), '--smoke'], { cwd: ROOT, encoding: 'utf8' });
    const out = r.stdout;
    expect(r.status, `exit ${r.status}\n${out}\n${r.stderr}`).to.equal(0);

    const m =
      /^sizing 1000: (\d+) rows\/day, (\d+) bytes\/day, poll row ([\d.]+) B on disk, inet_diag (\d+) B\/socket, ([\d.]+) inserts\/s$/m.exec(
        out,
      );
    expect(m, out).to.not.equal(null);
    const [rowsDay, bytesDay, rowBytes, diagBytes, inserts] = m!.slice(1).map(Number) as [number, number, number, number, number];
    // a batch per table at most every second or so, never one per poll row
    expect(inserts).to.be.above(0).and.below(20);
    // every socket polled every 2 s: at least 1,000 x 43,200 snapshot rows a day
    expect(rowsDay).to.be.at.least(1000 * 43_200);
    expect(bytesDay).to.be.above(0);
    // a stored row is smaller than the kernel's own reply for it (else the table is no anchor)
    expect(rowBytes).to.be.above(0).and.below(diagBytes);
    expect(diagBytes).to.be.within(100, 2000);

    const poll = out.split('\n').find((l) => l.startsWith('| 1.0k | tcp_snapshots (poll) |'));
    expect(poll, out).to.be.a('string');
    const anchors = out.split('\n').find((l) => /^\| 1\.0k \| \d+ B \| \d+ B \| \d+ B \|/.test(l));
    expect(anchors, out).to.be.a('string');
    const [, , , raw, disk] = anchors!.split('|').map((c) => parseFloat(c));
    expect(disk).to.be.below(raw!);
    expect(out).to.match(/^\| 1\.0k \| \d+ \| [\d.]+ \| [\d.]+% \| \d+ MB \|$/m);
  });
});
