// Keeps bench/events working: runs its --smoke mode (3,000 connections,
// one rep) for real and checks every row is there with sane figures, and
// that tcplens read exactly the events the churn made, losing none.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { rowCells } from '../helpers/bench';
import { ROOT } from '../helpers/bench_cli';
import { skipUnlessEvents } from '../helpers/events';

describe('bench/events --smoke', function () {
  this.timeout(180_000);

  it('measures churn off, with tcplens (every kind, sidecar kinds), with bpftrace and with an empty program, and tcplens loses nothing', function () {
    skipUnlessEvents(this);
    const r = spawnSync('bash', [path.join(ROOT, 'bench/events/run.sh'), '--smoke'], { cwd: ROOT, encoding: 'utf8' });
    const out = r.stdout;
    expect(r.status, `exit ${r.status}\n${out}\n${r.stderr}`).to.equal(0);
    expect(out).to.match(/^tcplens events benchmark: 3000 loopback connections per run/m);
    for (const label of [
      'tracing off',
      'tcplens, every kind (10 events/conn)',
      'tcplens, sidecar kinds (4 events/conn)',
      'bpftrace count() on sock:inet_sock_set_state',
      'empty tp_btf program on inet_sock_set_state',
    ]) {
      const [rate, xOff, cpu, cpuX] = rowCells(out, label).map(Number);
      for (const v of [rate, xOff, cpu, cpuX]) expect(v, `${label}: ${v}`).to.be.above(0);
    }
    expect(rowCells(out, 'tcplens, every kind (10 events/conn)').slice(4, 6)).to.deep.equal(['10.00', 'ev/conn,']);
    expect(rowCells(out, 'tcplens, sidecar kinds (4 events/conn)').slice(4, 6)).to.deep.equal(['4.00', 'ev/conn,']);
    expect(out).to.match(/probe \d+ ns\/run/);
    expect(out).to.match(/^CPU per connection over the same rep's tracing off, median \[min, max\] of 1 reps: every kind \d+\.\d+x \[/m);
    expect(out).to.match(/^other programs on inet_sock_set_state during the "tracing off" reps: \d+ of 1 /m);
    expect(out).to.match(/^anchor: an empty program, CPU per connection \d+\.\d+x tracing off .*tcplens above it: every kind/m);
    expect(out).to.match(/^every event seen: tcplens read exactly the expected events in 1\/1 \(every kind\) and 1\/1 \(sidecar\) reps/m);
    expect(out).to.match(/^goal \(every kind\): .*zero loss: MET \(0 of 30002 events\)/m);
    expect(out).to.match(/^goal \(sidecar kinds\): .*zero loss: MET \(0 of 12001 events\)/m);
    // bpftrace mounted tracefs for itself only if it was not mounted before
    expect(r.stderr).to.not.match(/Error|ERROR/);
  });
});
