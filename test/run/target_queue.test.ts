// The targeted view's agenda over synthetic events batches: triggers and
// their delays, a close cancelling what it outlived (counted gone), a
// retransmit burst asking once, the rate limit dropping and counting, and
// the --snapshot-on parser's one-line errors.
import { expect } from 'chai';
import { EventBatch } from '../../src/layout/event_columns';
import { EV_KIND, EVF } from '../../src/layout/event_columns';
import { TargetQueue } from '../../src/run/target_queue';
import { parseSnapshotOn, describeTriggers } from '../../src/run/snapshot_on';
import { TcplensError } from '../../src/util/errors';

interface Ev {
  kind: number;
  cookie: bigint;
  ms: number;
  sport?: number;
  flags?: number;
}

const T0 = 1_800_000_000_000; // wall ms

function batch(evs: Ev[]): EventBatch {
  const b = new EventBatch(64);
  evs.forEach((e, i) => {
    b.u8('kind')[i] = e.kind;
    b.u64('idiag_cookie')[i] = e.cookie;
    b.u64('netns_inode')[i] = 4026531840n;
    b.u64('ts_ns')[i] = BigInt(Math.round((T0 + e.ms) * 1e6));
    b.u8('idiag_family')[i] = 2;
    b.u16('sport')[i] = e.sport ?? 40000 + Number(e.cookie);
    b.u16('dport')[i] = 8080;
    b.u8('flags')[i] = e.flags ?? 0;
    b.b16('src', i).set([127, 0, 0, 1]);
    b.b16('dst', i).set([127, 0, 0, 1]);
  });
  b.rows = evs.length;
  return b;
}

describe('targeted snapshots: the agenda', () => {
  it('an open is due after its delay, once, with its socket named', () => {
    const q = new TargetQueue({ open: 50 }, { ratePerS: 1000 });
    q.observe(batch([{ kind: EV_KIND.ACTIVE_OPEN, cookie: 7n, ms: 0 }]));
    expect(q.due(T0 + 49)).to.deep.equal([]);
    expect(q.nextDueMs()).to.be.closeTo(T0 + 50, 0.01);
    const [t, ...rest] = q.due(T0 + 50);
    expect(rest).to.deep.equal([]);
    expect(t).to.include({ cookie: 7n, sport: 40007, dport: 8080, family: 2, trigger: 'open', ns: 4026531840 });
    expect([...t!.src.subarray(0, 4)]).to.deep.equal([127, 0, 0, 1]);
    expect(q.due(T0 + 1000)).to.deep.equal([]);
    expect(q.counts()).to.deep.include({ pending: 0, closedFirst: 0 });
    expect(q.counts().triggered.open).to.equal(1);
  });

  it('a close before the delay cancels the target and counts it gone; kinds not asked for are ignored', () => {
    const q = new TargetQueue({ open: 50 }, { ratePerS: 1000 });
    q.observe(
      batch([
        { kind: EV_KIND.PASSIVE_OPEN, cookie: 1n, ms: 0 },
        { kind: EV_KIND.RETRANSMIT, cookie: 1n, ms: 1 },
        { kind: EV_KIND.ACTIVE_OPEN, cookie: 2n, ms: 0 },
        { kind: EV_KIND.CLOSE, cookie: 1n, ms: 5 },
      ]),
    );
    expect(q.due(T0 + 60).map((t) => t.cookie)).to.deep.equal([2n]);
    const c = q.counts();
    expect(c.closedFirst).to.equal(1);
    expect(c.triggered).to.deep.equal({ open: 2, retransmit: 0, reset: 0 });
  });

  it('a retransmit burst asks once; the next burst after the cooldown asks again', () => {
    const q = new TargetQueue({ retransmit: 0 }, { ratePerS: 1000, retransmitCooldownMs: 1000 });
    q.observe(batch([0, 10, 20].map((ms) => ({ kind: EV_KIND.RETRANSMIT, cookie: 3n, ms }))));
    expect(q.due(T0 + 20)).to.have.length(1);
    q.observe(batch([{ kind: EV_KIND.RETRANSMIT, cookie: 3n, ms: 500 }]));
    expect(q.due(T0 + 500)).to.have.length(0);
    q.observe(batch([{ kind: EV_KIND.RETRANSMIT, cookie: 3n, ms: 1500 }]));
    expect(q.due(T0 + 1500)).to.have.length(1);
    expect(q.counts().coalesced).to.equal(3);
    expect(q.counts().triggered.retransmit).to.equal(2);
  });

  it('resets (sent or received) trigger; a cookieless event keys by its 4-tuple', () => {
    const q = new TargetQueue({ reset: 0 }, { ratePerS: 1000 });
    q.observe(
      batch([
        { kind: EV_KIND.RESET_SENT, cookie: 4n, ms: 0 },
        { kind: EV_KIND.RESET_RECEIVED, cookie: 0n, ms: 0, sport: 1234, flags: EVF.NOCOOKIE },
        { kind: EV_KIND.CLOSE, cookie: 0n, ms: 0, sport: 1234, flags: EVF.NOCOOKIE },
      ]),
    );
    const due = q.due(T0 + 1);
    expect(due.map((t) => t.cookie)).to.deep.equal([4n]);
    expect(q.counts().closedFirst).to.equal(1);
  });

  it('the rate limit drops what is due past it, and counts each drop', () => {
    const q = new TargetQueue({ open: 0 }, { ratePerS: 5 });
    q.observe(batch(Array.from({ length: 20 }, (_, i) => ({ kind: EV_KIND.ACTIVE_OPEN, cookie: BigInt(i + 1), ms: 0 }))));
    const first = q.due(T0 + 1);
    expect(first).to.have.length(5); // a second's worth of burst
    expect(q.counts().dropped.limit).to.equal(15);
    // tokens come back at the rate: 1 s later, 5 more may go
    q.observe(batch(Array.from({ length: 10 }, (_, i) => ({ kind: EV_KIND.ACTIVE_OPEN, cookie: BigInt(100 + i), ms: 1001 }))));
    expect(q.due(T0 + 1001)).to.have.length(5);
    expect(q.counts().dropped.limit).to.equal(20);
  });

  it('the waiting queue is bounded: past it new targets are dropped (counted)', () => {
    const q = new TargetQueue({ open: 1000 }, { ratePerS: 1000, maxPending: 3 });
    q.observe(batch(Array.from({ length: 5 }, (_, i) => ({ kind: EV_KIND.ACTIVE_OPEN, cookie: BigInt(i + 1), ms: 0 }))));
    expect(q.counts()).to.deep.include({ pending: 3 });
    expect(q.counts().dropped.queue).to.equal(2);
  });
});

describe('--snapshot-on', () => {
  it('reads triggers with optional delays', () => {
    expect(parseSnapshotOn('open:50ms,retransmit,reset')).to.deep.equal({ open: 50, retransmit: 0, reset: 0 });
    expect(parseSnapshotOn(' open:1.5s ')).to.deep.equal({ open: 1500 });
    expect(parseSnapshotOn('open:20')).to.deep.equal({ open: 20 }); // a bare number is ms
    expect(describeTriggers({ reset: 0, open: 50 })).to.equal('open:50ms,reset:0ms');
  });

  for (const [bad, why] of [
    ['', /at least one trigger/],
    ['close', /unknown trigger "close"/],
    ['open:soon', /"open:soon": the delay is not a duration/],
    ['open:1:2', /not a duration/],
    ['open:2h', /at most 1h/],
  ] as const) {
    it(`refuses "${bad}" with a one-line usage error`, () => {
      try {
        parseSnapshotOn(bad);
        expect.fail('accepted');
      } catch (e) {
        expect(e).to.be.instanceOf(TcplensError);
        expect((e as TcplensError).code).to.equal('EUSAGE');
        expect((e as Error).message)
          .to.match(why)
          .and.not.include('\n');
      }
    });
  }
});
