// A flow's bookkeeping between polls: deltas, peaks, and final counters by source rank.
import { expect } from 'chai';
import { Flow, type Counters } from '../../src/correlate/flow';

const c = (sec: number, acked: number, received: number, retrans = 0): Counters => ({
  ts_ns: BigInt(sec * 1e9),
  tcpi_bytes_acked: BigInt(acked),
  tcpi_bytes_received: BigInt(received),
  tcpi_segs_in: 0,
  tcpi_segs_out: 0,
  tcpi_total_retrans: retrans,
  tcpi_rtt: 0,
});

const poll = (f: Flow, x: Counters): boolean =>
  f.poll(
    x.ts_ns,
    Number(x.ts_ns),
    Number(x.tcpi_bytes_acked),
    Number(x.tcpi_bytes_received),
    x.tcpi_segs_in,
    x.tcpi_segs_out,
    x.tcpi_total_retrans,
    x.tcpi_rtt,
  );

describe('Flow', () => {
  it('keeps the delta of the last two polls and the peak rate and retransmits of any interval', () => {
    const f = new Flow(1n, 2n, 2, '10.0.0.1', 1000, '10.0.0.2', 80);
    expect(poll(f, c(10, 1_000, 0))).to.equal(true);
    expect(f.delta()).to.equal(null);
    expect(poll(f, c(12, 5_000, 1_000, 3))).to.equal(true); // 5,000 bytes in 2 s, 3 retransmits
    expect(poll(f, c(13, 6_000, 1_000, 4))).to.equal(true); // 1,000 bytes in 1 s, 1 retransmit
    expect(poll(f, c(14, 6_000, 1_000, 4))).to.equal(false); // idle
    expect(f.delta()).to.deep.equal({ dt_ns: 1_000_000_000, bytes_acked: 0, bytes_received: 0, retrans: 0 });
    const row = f.toRow(false);
    expect(row.peak_bytes_per_s).to.equal(2_500n);
    expect(row.peak_retrans).to.equal(3);
    expect(row.polls).to.equal(4);
  });

  it('final counters: events beat destroy beat the last poll, whatever the order they arrive in', () => {
    const f = new Flow(1n, 2n, 2, 'a', 1, 'b', 2);
    poll(f, c(1, 100, 100));
    f.offerFinal('events', c(2, 300, 300));
    f.offerFinal('destroy', c(3, 200, 200)); // later, but ranks lower
    const row = f.toRow(false);
    expect(row.final_source).to.equal('events');
    expect(row.tcpi_bytes_acked).to.equal(300n);
    expect(row.bytes_unpolled).to.equal(400n); // 600 at close - 200 at the last poll
  });
});
