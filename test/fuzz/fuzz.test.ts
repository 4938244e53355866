// The libFuzzer targets of fuzz/ (the native decoders of kernel bytes, under
// AddressSanitizer and UBSan) through scripts/fuzz.sh: every crash found so
// far (test/fixtures/fuzz/<target>/) replays clean, and a short fixed-time
// run of each target finds nothing new. TCPLENS_FUZZ_SECONDS sets the run
// (default 5 s per target); the long run is `npm run fuzz -- --runs 10000000`.
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const TARGETS = ['diag_replay', 'diag_dump', 'destroy', 'events', 'samples'];
const SECONDS = Number(process.env.TCPLENS_FUZZ_SECONDS ?? 5);

/** Why libFuzzer cannot be built here, or null. */
function fuzzSkipReason(): string | null {
  try {
    const dir = execFileSync('clang', ['--print-runtime-dir'], { encoding: 'utf8' }).trim();
    if (!fs.existsSync(path.join(dir, 'libclang_rt.fuzzer-x86_64.a')))
      return `no libFuzzer runtime in ${dir} (apt-get install libclang-rt-14-dev; scripts/bootstrap.sh does)`;
    return null;
  } catch {
    return 'clang missing (scripts/bootstrap.sh installs it)';
  }
}

describe('fuzz targets (libFuzzer + ASan + UBSan over the native decoders)', function () {
  this.timeout(600_000);
  let out = '';

  before(function () {
    const why = fuzzSkipReason();
    if (why) {
      console.log(`    skipped: ${why}`);
      this.skip();
    }
    const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'fuzz.sh'), '--seconds', String(SECONDS)], { encoding: 'utf8' });
    out = r.stdout + r.stderr;
    if (r.status !== 0) console.log(out);
  });

  it('each crash fixture is a case the targets now decode without a report', () => {
    const fixtures = TARGETS.flatMap((t) => {
      const dir = path.join(ROOT, 'test', 'fixtures', 'fuzz', t);
      return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => `${t}/${f}`) : [];
    });
    // the findings of issue 14: unaligned header reads and nlmsgerr INT_MIN, kept forever
    expect(fixtures).to.include.members(['diag_replay/misaligned-header', 'diag_replay/errno-int-min']);
    expect(out).to.not.match(/regression: a fixed crash is back/);
  });

  for (const t of TARGETS) {
    it(`${t}: ${SECONDS} s of fuzzing, executions counted, 0 crashes`, () => {
      const m = new RegExp(`^fuzz: ${t} executions=(\\d+) seconds=\\S+ exec_per_s=\\d+ crashes=(\\d+)$`, 'm').exec(out);
      expect(m, out).to.not.equal(null);
      expect(Number(m![2]), out).to.equal(0);
      // the target really ran (seeds loaded, mutations executed), not just built
      expect(Number(m![1])).to.be.greaterThan(1000);
    });
  }
});
