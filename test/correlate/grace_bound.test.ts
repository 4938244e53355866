// The closed flows waiting out their grace are bounded: past maxClosing the
// oldest is written at once, counted; a later report of it is absorbed as late.
import { expect } from 'chai';
import { FlowTable, READY_ROWS } from '../../src/correlate/flow_table';
import { PollBatch } from '../../src/layout/batch';

const NS = 4026531999n;

/** destroy records (the poll layout) of loopback flows with these cookies */
function destroyed(cookies: number[]): PollBatch {
  const b = new PollBatch(cookies.length);
  b.rows = cookies.length;
  cookies.forEach((c, i) => {
    b.u8('idiag_family')[i] = 2;
    b.u8('idiag_state')[i] = 7;
    b.u16('sport')[i] = 40000 + c;
    b.u16('dport')[i] = 80;
    b.u64('idiag_cookie')[i] = BigInt(c);
    b.u64('ts_ns')[i] = 1_000_000_000n + BigInt(c);
    b.u64('tcpi_bytes_acked')[i] = BigInt(100 * c);
    b.b16('src', i).set([127, 0, 0, 1]);
    b.b16('dst', i).set([127, 0, 0, 2]);
  });
  return b;
}

describe('FlowTable: closed flows waiting out their grace are bounded', () => {
  it('past maxClosing the oldest closed flows are written at once and counted; every flow is written once', () => {
    let clock = 0;
    const table = new FlowTable({ now: () => clock, closeGraceMs: 1000, maxClosing: 3 });
    table.observeDestroy(destroyed([1, 2, 3, 4, 5]), NS);
    const early = table.collect();
    expect(early.map((r) => r.idiag_cookie)).to.deep.equal([1n, 2n]);
    expect(early.map((r) => r.tcpi_bytes_acked)).to.deep.equal([100n, 200n]); // the same row as after a full grace
    expect(table.stats()).to.include({ closed: 5, graceCut: 2, tracked: 3, written: 2 });
    expect(table.msToCollect()).to.equal(1000);
    // a late report of a flow written early is absorbed, not made a new flow
    table.observeDestroy(destroyed([1]), NS);
    expect(table.stats()).to.include({ late: 1, tracked: 3, opened: 5 });
    clock += 999;
    expect(table.collect()).to.deep.equal([]);
    clock += 1;
    expect(table.collect().map((r) => r.idiag_cookie)).to.deep.equal([3n, 4n, 5n]);
    expect(table.stats()).to.include({ graceCut: 2, tracked: 0, written: 5 });
  });

  it('with onReady, rows cut from their grace go on READY_ROWS at a time in the middle of a batch, not at collect()', () => {
    const handed: bigint[][] = [];
    const table = new FlowTable({
      now: () => 0,
      closeGraceMs: 1000,
      maxClosing: 1,
      onReady: (rows) => handed.push(rows.map((r) => r.idiag_cookie)),
    });
    const n = 2 * READY_ROWS + 5; // n - 1 cut (the last close waits): two hands of READY_ROWS, 4 left for collect()
    table.observeDestroy(destroyed(Array.from({ length: n }, (_, k) => k + 1)), NS);
    expect(handed.map((h) => h.length)).to.deep.equal([READY_ROWS, READY_ROWS]);
    expect(handed[0]![0]).to.equal(1n);
    expect(handed[1]![0]).to.equal(BigInt(READY_ROWS + 1));
    const left = [1, 2, 3, 4].map((k) => BigInt(2 * READY_ROWS + k));
    expect(table.collect().map((r) => r.idiag_cookie)).to.deep.equal(left);
    expect(table.stats()).to.include({ graceCut: n - 1, written: n - 1, tracked: 1 });
  });

  it('collect(max) and collectAll(max) hand the due rows out in chunks, in close order, each flow once', () => {
    let clock = 0;
    const table = new FlowTable({ now: () => clock, closeGraceMs: 1000 });
    table.observeDestroy(destroyed(Array.from({ length: 10 }, (_, k) => k + 1)), NS);
    expect(table.collect(4)).to.deep.equal([]); // still in their grace
    clock += 1000;
    const chunks: bigint[][] = [];
    for (let rows; (rows = table.collect(4)).length;) chunks.push(rows.map((r) => r.idiag_cookie));
    expect(chunks.map((c) => c.length)).to.deep.equal([4, 4, 2]);
    expect(chunks.flat()).to.deep.equal(Array.from({ length: 10 }, (_, k) => BigInt(k + 1)));
    // shutdown: grace or not, the same chunks
    table.observeDestroy(destroyed([11, 12, 13]), NS);
    expect(table.collectAll(2).map((r) => r.idiag_cookie)).to.deep.equal([11n, 12n]);
    expect(table.collectAll(2).map((r) => r.idiag_cookie)).to.deep.equal([13n]);
    expect(table.collectAll(2)).to.deep.equal([]);
    expect(table.stats()).to.include({ written: 13, tracked: 0 });
  });

  it('under the bound nothing is cut', () => {
    let clock = 0;
    const table = new FlowTable({ now: () => clock, closeGraceMs: 1000 });
    table.observeDestroy(destroyed(Array.from({ length: 1000 }, (_, k) => k + 1)), NS);
    expect(table.collect()).to.deep.equal([]);
    clock += 1000;
    expect(table.collect()).to.have.length(1000);
    expect(table.stats().graceCut).to.equal(0);
  });
});
