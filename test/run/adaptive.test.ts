// The adaptive poll's controller, driven by hand: the interval it picks for
// a target, what the CPU budget and late cycles do to it, and how fast it
// follows flows that get shorter or longer.
import { expect } from 'chai';
import { AdaptiveInterval } from '../../src/run/adaptive';
import { adaptiveFromArgs, pollPhaseMs } from '../../src/run/adaptive_options';

function ctl(over: Partial<ConstructorParameters<typeof AdaptiveInterval>[0]> = {}): { c: AdaptiveInterval; at: { now: number } } {
  const at = { now: 0 };
  const c = new AdaptiveInterval({ target: 0.9, cpuBudget: 0.5, initialMs: 1000, minMs: 1, maxMs: 10_000, now: () => at.now, ...over });
  return { c, at };
}

/** cycles on time: each begins exactly one chosen interval after the last */
function cycles(c: AdaptiveInterval, at: { now: number }, n: number, cpuMs = 1, wallMs = 2, lateMs = 0): void {
  for (let i = 0; i < n; i++) {
    at.now += c.intervalMs + lateMs;
    c.afterCycle(cpuMs, wallMs, at.now);
  }
}

describe('adaptive poll interval', () => {
  it('keeps --interval until it knows lifetimes, then picks the longest that reaches the target', () => {
    const { c, at } = ctl();
    cycles(c, at, 3);
    expect(c.intervalMs).to.equal(1000);
    expect(c.stats().limit).to.equal('no_data');
    expect(c.stats().predictedCoverage).to.equal(null);
    for (let i = 0; i < 200; i++) c.addLifetime(90);
    cycles(c, at, 5);
    expect(c.intervalMs).to.be.closeTo(100, 1); // 90 / 100 = 0.9
    expect(c.stats().limit).to.equal('target');
    expect(c.stats().predictedCoverage!).to.be.closeTo(0.9, 0.002);
  });

  it('never spends more than the budget: a 10 ms cycle at 5% is polled every 200 ms at most', () => {
    const { c, at } = ctl({ cpuBudget: 0.05 });
    for (let i = 0; i < 200; i++) c.addLifetime(90);
    cycles(c, at, 10, 10);
    expect(c.intervalMs).to.be.closeTo(200, 1e-6);
    expect(c.stats().limit).to.equal('budget');
    expect(c.stats().predictedCoverage!).to.be.closeTo(0.45, 0.01);
  });

  it('polls more often when cycles come late, so that the target still holds', () => {
    const { c, at } = ctl();
    for (let i = 0; i < 200; i++) c.addLifetime(90);
    cycles(c, at, 40, 1, 2, 30);
    // every gap is the interval + 30 ms: 90 / (P + 30) = 0.9
    expect(c.intervalMs).to.be.closeTo(70, 1);
    expect(c.stats().lateMs).to.be.closeTo(30, 0.5);
  });

  it('follows shorter flows within a hundred closes, longer ones a little later', () => {
    const { c, at } = ctl({ slowHalfLifeMs: 5000 });
    for (let i = 0; i < 500; i++) c.addLifetime(180);
    cycles(c, at, 5);
    expect(c.intervalMs).to.be.closeTo(200, 2);
    for (let i = 0; i < 100; i++) c.addLifetime(45);
    // read between cycles: the new closes already shorten the wait
    expect(c.intervalMs).to.be.below(70);
    for (let i = 0; i < 300; i++) c.addLifetime(45);
    cycles(c, at, 3);
    expect(c.intervalMs).to.be.closeTo(50, 2);
    // longer again: the slow histogram still remembers the short ones until
    // they have decayed (5 s half-life here), then the interval grows
    for (let i = 0; i < 500; i++) c.addLifetime(180);
    cycles(c, at, 3);
    expect(c.intervalMs).to.be.below(100);
    for (let k = 0; k < 200 && c.intervalMs < 198; k++) {
      for (let i = 0; i < 20; i++) c.addLifetime(180);
      const before = c.intervalMs;
      cycles(c, at, 1);
      expect(c.intervalMs, 'grows at most 2x a cycle').to.be.at.most(2 * before + 1e-9);
    }
    expect(c.intervalMs).to.be.closeTo(200, 2);
    expect(at.now, 'within 40 s of simulated time (8 half-lives)').to.be.below(40_000);
  });

  it('is built from the run flags, or refused in one line', () => {
    const views = new Set(['poll', 'events']);
    expect(adaptiveFromArgs({ cpuBudget: '1%', minInterval: '50ms' }, 10_000, views)).to.equal(undefined);
    const a = adaptiveFromArgs({ coverageTarget: '90%', cpuBudget: '1%', minInterval: '50ms' }, 10_000, views)!;
    expect(a.stats()).to.include({ target: 0.9, cpuBudget: 0.01, intervalMs: 10_000 });
    expect(() => adaptiveFromArgs({ coverageTarget: '190%', cpuBudget: '1%', minInterval: '50ms' }, 10_000, views)).to.throw(
      /--coverage-target: a share in \(0, 1\]/,
    );
    expect(() => adaptiveFromArgs({ coverageTarget: '0.9', cpuBudget: '1%', minInterval: '50ms' }, 10_000, new Set(['poll']))).to.throw(
      /add events to --views/,
    );
    expect(() => adaptiveFromArgs({ coverageTarget: '0.9', cpuBudget: '1%', minInterval: '1m' }, 10_000, views)).to.throw(/--min-interval/);
    expect(pollPhaseMs('none', 1000)).to.equal(0);
    expect(pollPhaseMs('random', 1000, () => 0.25)).to.equal(250);
    expect(() => pollPhaseMs('later', 1000)).to.throw(/--poll-phase/);
  });
});
