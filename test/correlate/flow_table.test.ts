// The flow table on the real kernel: poll and destroy batches of a test
// namespace's connections joined per cookie, with what each view saw.
import { expect } from 'chai';
import { FlowTable } from '../../src/correlate/flow_table';
import { VIEW_DESTROY, VIEW_POLL, type FlowRow } from '../../src/correlate/flow_row';
import { DestroySource } from '../../src/sources/destroy';
import { parseNetnsSelector } from '../../src/netns/select';
import { isRoot } from '../helpers/netns';
import { churn, heldChurn, type ChurnTruth } from '../helpers/churn';
import { compactRows } from '../../src/layout/compact';
import { kernelFlows } from '../helpers/flows';
import { skipIf } from '../helpers/skip';

const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('FlowTable (poll + destroy joined on the cookie)', function () {
  this.timeout(60_000);
  let destroy: DestroySource;
  before(function () {
    skipIf(this, !isRoot(), 'needs root to create network namespaces');
  });
  const fx = kernelFlows('flows');
  beforeEach(() => {
    destroy = fx.track(new DestroySource({ netns: parseNetnsSelector(fx.ns) }));
    destroy.refresh();
  });

  async function drainDestroy(): Promise<void> {
    await settle();
    await destroy.drain((b, ctx) => fx.table.observeDestroy(b, BigInt(ctx.ns.inode)));
  }
  const clientOf = (rows: FlowRow[], t: ChurnTruth, sport: number): FlowRow | undefined =>
    rows.find((r) => r.sport === sport && r.dport === t.listener[1]);
  const serverOf = (rows: FlowRow[], t: ChurnTruth, sport: number): FlowRow | undefined =>
    rows.find((r) => r.dport === sport && r.sport === t.listener[1]);

  it('flows born and dead between two polls: destroy only, missed by polling, exact final bytes', async () => {
    const N = 20,
      BYTES = 3000;
    await fx.pollOnce();
    const truth = churn(fx.ns, N, BYTES);
    await drainDestroy();
    await fx.pollOnce();
    fx.clock += 1000;
    const rows = fx.table.collect();
    expect(rows).to.have.length(2 * N);
    for (const f of truth.flows) {
      const c = clientOf(rows, truth, f.sport)!,
        s = serverOf(rows, truth, f.sport)!;
      expect(c, `client ${f.sport}`).to.exist;
      expect(s, `server of ${f.sport}`).to.exist;
      for (const r of [c, s]) {
        expect(r.views).to.equal(VIEW_DESTROY);
        expect(r.final_source).to.equal('destroy');
        expect(r.polls).to.equal(0);
        expect(r.bytes_unpolled).to.equal(r.tcpi_bytes_acked + r.tcpi_bytes_received);
      }
      // sequence space: data + FIN received; data + SYN + FIN acked
      expect(Number(c.tcpi_bytes_acked)).to.equal(BYTES + 2);
      expect(Number(s.tcpi_bytes_received)).to.equal(BYTES + 1);
    }
    const st = fx.table.stats();
    expect(st.missedByPoll).to.equal(2 * N);
    expect(st.coverage).to.deep.equal({ destroy: 2 * N });
    expect(st.tracked).to.equal(0);
  });

  it('long flows: poll+destroy, one flow per cookie, the bytes after the last poll counted', async () => {
    const N = 10,
      BYTES = 2000;
    const held = await heldChurn(fx.ns, N, BYTES);
    await fx.pollOnce();
    await fx.pollOnce();
    const truth = await held.release();
    await drainDestroy();
    await fx.pollOnce();
    fx.clock += 1000;
    const rows = fx.table.collect();
    expect(rows).to.have.length(2 * N);
    expect(new Set(rows.map((r) => r.idiag_cookie)).size).to.equal(2 * N);
    for (const f of truth.flows) {
      for (const r of [clientOf(rows, truth, f.sport)!, serverOf(rows, truth, f.sport)!]) {
        expect(r.views).to.equal(VIEW_POLL | VIEW_DESTROY);
        expect(r.polls).to.equal(2);
        expect(r.final_source).to.equal('destroy');
        // after the last poll each side only acked the peer's FIN and got one FIN: 2 bytes of sequence space
        expect(Number(r.bytes_unpolled)).to.equal(2);
        expect(r.last_poll_ns > r.first_poll_ns).to.equal(true);
        expect(r.close_ns >= r.last_poll_ns).to.equal(true);
      }
    }
    expect(fx.table.stats().coverage).to.deep.equal({ 'poll+destroy': 2 * N });
  });

  it("without the destroy view a flow gone from a complete poll is closed with the last poll's counters; late reports are absorbed", async () => {
    const N = 8,
      BYTES = 1000;
    const held = await heldChurn(fx.ns, N, BYTES);
    await fx.pollOnce();
    const truth = await held.release();
    await fx.pollOnce();
    fx.clock += 999;
    expect(fx.table.collect()).to.have.length(0); // still in its grace
    fx.clock += 1;
    const rows = fx.table.collect();
    expect(rows).to.have.length(2 * N);
    for (const f of truth.flows) {
      const c = clientOf(rows, truth, f.sport)!;
      expect(c.views).to.equal(VIEW_POLL);
      expect(c.final_source).to.equal('poll');
      expect(c.close_ns).to.equal(0n);
      expect(Number(c.tcpi_bytes_acked)).to.equal(BYTES + 1); // data + SYN: the FIN came after the poll
      expect(c.bytes_unpolled).to.equal(0n);
    }
    await drainDestroy(); // the kernel's reports of the same closes arrive late
    expect(fx.table.stats().late).to.equal(2 * N);
    expect(fx.table.stats().tracked).to.equal(0);
    fx.clock += 1000;
    expect(fx.table.collect()).to.have.length(0);
  });

  it('a cap on open flows evicts the least recently seen and counts them', async () => {
    fx.table = new FlowTable({ now: () => fx.clock, maxFlows: 10 });
    const held = await heldChurn(fx.ns, 10, 100);
    await fx.pollOnce();
    const st = fx.table.stats();
    expect(st.evicted).to.be.greaterThan(0);
    expect(st.tracked).to.be.at.most(10);
    const rows = fx.table.collect();
    expect(rows.length).to.equal(st.evicted);
    expect(rows.every((r) => r.evicted === 1)).to.equal(true);
    expect(st.tracked + st.evicted).to.equal(20);
    await held.release();
  });

  it('--changes-only: a first poll keeps every row, a second keeps only what moved or is not a flow', async () => {
    const held = await heldChurn(fx.ns, 5, 100);
    const kept: Array<Array<{ sport: number; dport: number }>> = [];
    for (let round = 0; round < 2; round++) {
      const rows: Array<{ sport: number; dport: number }> = [];
      let total = 0;
      await fx.poll.cycle((b, ctx) => {
        const changed = new Uint8Array(b.rows);
        fx.table.observePoll(b, BigInt(ctx.ns.inode), changed);
        total += b.rows;
        const before = b.rows;
        compactRows(b, changed);
        expect(b.rows).to.be.at.most(before);
        for (let i = 0; i < b.rows; i++) rows.push({ sport: b.u16('sport')[i]!, dport: b.u16('dport')[i]! });
      });
      expect(total).to.equal(11); // 10 connected sockets + the listener
      kept.push(rows);
    }
    const truth = await held.release();
    expect(kept[0]).to.have.length(11);
    // idle connections did not move: only the listener (not a flow) is kept
    expect(kept[1]).to.deep.equal([{ sport: truth.listener[1], dport: 0 }]);
  });
});
