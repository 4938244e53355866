// The owners pass runs before the first poll cycle (View.beforeFirst): the
// loop ticks such a view right before the pacer's first tick (after any
// --poll-phase wait), again right after it, then on its period; the flow
// table it sizes (FlowTable.reserve) fills without growing and finds every flow.
import { expect } from 'chai';
import type { View, ViewContext } from '../../src/run/view';
import { Sidecar } from '../../src/run/sidecar';
import { FlowStore } from '../../src/correlate/flow_store';
import { FlowTable } from '../../src/correlate/flow_table';
import { PollBatch } from '../../src/layout/batch';
import { NullSink, quietLog } from '../helpers/views';

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Logs its ticks, in order, into a shared list. */
class Logged implements View {
  constructor(
    readonly name: string,
    readonly everyMs: number,
    private readonly log: string[],
    readonly beforeFirst = false,
    readonly phaseMs = 0,
  ) {}
  async tick(_: ViewContext): Promise<number> {
    this.log.push(this.name);
    return 0;
  }
  close(): void {}
}

async function runFor(views: View[], ms: number): Promise<void> {
  const sidecar = new Sidecar({ maxFlows: 1000 }, new NullSink(), views, quietLog);
  const done = sidecar.run();
  await settle(ms);
  sidecar.stop();
  await done;
}

describe('run loop: a beforeFirst view (the owners pass) ticks before the first cycle', function () {
  this.timeout(30_000);

  it('before the first cycle and right after it, then on its period; other views after the first cycle', async () => {
    const log: string[] = [];
    await runFor([new Logged('pacer', 10_000, log), new Logged('owners', 10_000, log, true), new Logged('other', 10_000, log)], 300);
    // the end: every view but the pacer once more
    expect(log).to.deep.equal(['owners', 'pacer', 'owners', 'other', 'owners', 'other']);
  });

  it('with a phase, not during the phase wait: right before the first cycle', async () => {
    const log: string[] = [];
    await runFor(
      [new Logged('pacer', 10_000, log, false, 200), new Logged('owners', 10_000, log, true), new Logged('other', 10_000, log)],
      500,
    );
    // 'other' ticked in the phase round: not due again before the end
    expect(log).to.deep.equal(['other', 'owners', 'pacer', 'owners', 'owners', 'other']);
  });
});

describe('flow table sized ahead (reserve)', () => {
  it('a store reserved for n slots takes n flows without growing; reserving less keeps it', () => {
    const s = new FlowStore();
    s.reserve(5000);
    expect(s.capacity).to.equal(5000);
    const a = new Uint8Array([10, 0, 0, 1]);
    for (let i = 0; i < 5000; i++) s.alloc(7n, BigInt(i + 1), 2, a, 1000 + (i % 50000), a, 80);
    expect(s.capacity, 'no growth').to.equal(5000);
    expect(s.size).to.equal(5000);
    s.reserve(100);
    expect(s.capacity).to.equal(5000);
    s.alloc(7n, 9999n, 2, a, 1, a, 2);
    expect(s.capacity, 'grows past it').to.be.above(5000);
  });

  it('a reserved table finds every polled flow again: one flow a socket, none opened twice', () => {
    const t = new FlowTable();
    t.reserve(3000);
    const b = new PollBatch(3000);
    b.rows = 3000;
    const ck = b.u64('idiag_cookie'),
      st = b.u8('idiag_state'),
      fam = b.u8('idiag_family'),
      sp = b.u16('sport'),
      dp = b.u16('dport'),
      src = b.u8('src'),
      dst = b.u8('dst');
    for (let i = 0; i < b.rows; i++) {
      ck[i] = BigInt(1000 + i);
      st[i] = 1; // ESTABLISHED
      fam[i] = 2;
      sp[i] = 20000 + i;
      dp[i] = 443;
      src.set([127, 0, 0, 1], 16 * i);
      dst.set([127, 0, 0, 2], 16 * i);
    }
    t.observePoll(b, 5n);
    t.beginCycle(5n);
    t.observePoll(b, 5n);
    const s = t.stats();
    expect(s.opened).to.equal(3000);
    expect(s.tracked).to.equal(3000);
  });
});
