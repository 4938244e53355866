// A flow's bookkeeping between polls: the last poll, peaks, and final counters by source rank.
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
    Number(x.ts_ns & 0xffffffffn),
    Number(x.ts_ns >> 32n),
    Number(x.tcpi_bytes_acked),
    Number(x.tcpi_bytes_received),
    x.tcpi_segs_in,
    x.tcpi_segs_out,
    x.tcpi_total_retrans,
    x.tcpi_rtt,
  );

describe('Flow', () => {
  it('keeps the last poll and the peak rate and retransmits of any interval', () => {
    const f = new Flow(1n, 2n, 2, '10.0.0.1', 1000, '10.0.0.2', 80);
    expect(f.lastPoll).to.equal(null);
    expect(poll(f, c(10, 1_000, 0))).to.equal(true);
    expect(f.lastPoll).to.deep.equal(c(10, 1_000, 0));
    expect(poll(f, c(12, 5_000, 1_000, 3))).to.equal(true); // 5,000 bytes in 2 s, 3 retransmits
    expect(poll(f, c(13, 6_000, 1_000, 4))).to.equal(true); // 1,000 bytes in 1 s, 1 retransmit
    expect(poll(f, c(14, 6_000, 1_000, 4))).to.equal(false); // idle
    expect(f.lastPoll).to.deep.equal(c(14, 6_000, 1_000, 4));
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

  it('says how it ended and whether the handshake completed, from what the views saw', () => {
    const ended = (setup: (f: Flow) => void): [string, number, number] => {
      const f = new Flow(1n, 2n, 2, '10.0.0.1', 1000, '10.0.0.2', 80);
      setup(f);
      const r = f.toRow(false);
      return [r.close_reason, r.handshake, r.state_at_close];
    };
    expect(ended((f) => f.closedFrom(2))).to.deep.equal(['timeout', 0, 2]); // SYN_SENT, no answer
    expect(
      ended((f) => {
        f.resetsReceived = 1;
        f.closedFrom(2);
      }),
    ).to.deep.equal(['reset_received', 0, 2]); // refused
    expect(
      ended((f) => {
        f.sawState(1);
        f.resetsSent = 1;
        f.closedFrom(1);
      }),
    ).to.deep.equal(['reset_sent', 1, 1]);
    expect(ended((f) => f.closedFrom(9))).to.deep.equal(['fin', 1, 9]); // LAST_ACK
    expect(ended((f) => f.closedFrom(1))).to.deep.equal(['abort', 1, 1]);
    expect(
      ended((f) => {
        f.retransmitEvents = 3;
        f.closedFrom(1);
      }),
    ).to.deep.equal(['timeout', 1, 1]); // gave up retransmitting
    expect(ended((f) => f.sawState(1))).to.deep.equal(['unknown', 1, 0]); // still open (evicted): no close seen
    expect(ended(() => undefined)).to.deep.equal(['unknown', 2, 0]);
  });

  it("keeps the destroy record's tcp_info extras over later polls; ~0U min RTT is no sample", () => {
    const f = new Flow(1n, 2n, 2, '10.0.0.1', 1000, '10.0.0.2', 80);
    f.info(false, 0xffffffff, 1, 2, 3, 4, 5, 6, 7);
    expect(f.toRow(false).tcpi_min_rtt).to.equal(0);
    f.info(true, 90, 10, 20, 30, 40, 50, 60, 70);
    f.info(false, 1, 1, 1, 1, 1, 1, 1, 1);
    const r = f.toRow(false);
    expect([r.tcpi_min_rtt, r.tcpi_busy_time, r.tcpi_rwnd_limited, r.tcpi_sndbuf_limited, r.tcpi_lost, r.tcpi_reord_seen]).to.deep.equal([
      90,
      10n,
      20n,
      30n,
      40,
      50,
    ]);
    expect([r.tcpi_bytes_sent, r.tcpi_bytes_retrans]).to.deep.equal([60n, 70n]);
  });
});
