// The workload SPEC and the schedule it yields: parsing, clear errors, and
// determinism (same seed, same flows; the distributions have the asked shape).
import { expect } from 'chai';
import { parseSpec, formatSpec } from '../../src/loadgen/spec';
import { buildSchedule } from '../../src/loadgen/schedule';

describe('loadgen SPEC', () => {
  it('parses every key and reads its own canonical form back', () => {
    const s = parseSpec('rate=200,duration=exp:50ms,bytes=4k/1m,flows=1000,seed=7,arrival=even,family=6');
    expect(s).to.deep.equal({
      rate: 200,
      flows: 1000,
      duration: { kind: 'exp', meanMs: 50 },
      up: 4096,
      down: 1 << 20,
      seed: 7,
      arrival: 'even',
      family: 6,
    });
    expect(parseSpec(formatSpec(s))).to.deep.equal(s);
    expect(parseSpec('duration=5ms').duration).to.deep.equal({ kind: 'fixed', ms: 5 });
    expect(parseSpec('duration=bimodal:5ms:2s:0.05').duration).to.deep.equal({
      kind: 'bimodal',
      shortMs: 5,
      longMs: 2000,
      longFraction: 0.05,
    });
    expect(parseSpec('duration=lognormal:250us:1.5').duration).to.deep.equal({ kind: 'lognormal', medianMs: 0.25, sigma: 1.5 });
  });

  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['rate', /"rate" is not key=value/],
    ['rte=5', /unknown key "rte"/],
    ['rate=fast', /rate: "fast" is not a number/],
    ['rate=0', /rate: must be between/],
    ['duration=exp', /unknown distribution "exp"|exp:MEAN/],
    ['duration=gauss:5ms', /unknown distribution "gauss"/],
    ['duration=bimodal:5ms:2s:1.5', /FRACTION "1.5" must be in \[0, 1\]/],
    ['bytes=4q', /bytes: "4q" is not a byte count/],
    ['bytes=1/2/3', /must be SIZE or UP\/DOWN/],
    ['flows=1,flows=2', /"flows" given twice/],
    ['family=5', /family: "5" must be 4 or 6/],
  ];
  for (const [text, re] of bad) {
    it(`rejects "${text}" with one line naming the problem`, () => {
      expect(() => parseSpec(text))
        .to.throw(re)
        .with.property('code', 'EUSAGE');
      try {
        parseSpec(text);
      } catch (e) {
        expect((e as Error).message).to.not.include('\n');
      }
    });
  }
});

describe('loadgen schedule', () => {
  it('is a pure function of the spec: same seed, same flows; another seed, other flows', () => {
    const spec = parseSpec('rate=300,flows=500,duration=lognormal:20ms:1,bytes=1k,seed=42');
    const a = buildSchedule(spec),
      b = buildSchedule(spec);
    expect(a).to.deep.equal(b);
    const c = buildSchedule({ ...spec, seed: 43 });
    expect(c.map((f) => f.durationMs)).to.not.deep.equal(a.map((f) => f.durationMs));
    expect(c.map((f) => f.startMs)).to.not.deep.equal(a.map((f) => f.startMs));
  });

  it('keeps the arrival times when only the duration distribution changes', () => {
    const a = buildSchedule(parseSpec('rate=100,flows=50,duration=5ms,seed=3'));
    const b = buildSchedule(parseSpec('rate=100,flows=50,duration=exp:80ms,seed=3'));
    expect(b.map((f) => f.startMs)).to.deep.equal(a.map((f) => f.startMs));
  });

  it('even arrivals are exactly 1/rate apart; poisson gaps average 1/rate', () => {
    const even = buildSchedule(parseSpec('rate=250,flows=100,arrival=even'));
    even.forEach((f, i) => expect(f.startMs).to.be.closeTo(i * 4, 0.001));
    const p = buildSchedule(parseSpec('rate=250,flows=20000,seed=9'));
    const meanGap = p[p.length - 1]!.startMs / (p.length - 1);
    expect(meanGap).to.be.closeTo(4, (4 * 4) / Math.sqrt(p.length)); // 4 sigma of an exponential mean
  });

  it('draws durations with the asked shape', () => {
    const n = 20000;
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const exp = buildSchedule(parseSpec(`flows=${n},duration=exp:50ms,seed=1`)).map((f) => f.durationMs);
    expect(mean(exp)).to.be.closeTo(50, (4 * 50) / Math.sqrt(n));
    const logn = buildSchedule(parseSpec(`flows=${n},duration=lognormal:20ms:1,seed=1`))
      .map((f) => f.durationMs)
      .sort((x, y) => x - y);
    expect(logn[n / 2]!).to.be.closeTo(20, 1); // the median
    const bi = buildSchedule(parseSpec(`flows=${n},duration=bimodal:5ms:2s:0.05,seed=1`)).map((f) => f.durationMs);
    expect(new Set(bi)).to.deep.equal(new Set([5, 2000]));
    const longShare = bi.filter((d) => d === 2000).length / n;
    expect(longShare).to.be.closeTo(0.05, 4 * Math.sqrt((0.05 * 0.95) / n));
    const fixed = buildSchedule(parseSpec('flows=10,duration=5ms,bytes=100/7')).map((f) => [f.durationMs, f.up, f.down]);
    expect(fixed).to.deep.equal(Array(10).fill([5, 100, 7]));
  });
});
