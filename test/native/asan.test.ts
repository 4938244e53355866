// The kernel-facing native tests again, against the ASan+UBSan build of the
// addon (npm run build:asan, run by scripts/test-asan.sh: the runtime
// preloaded into node, leak detection off for node itself): every test
// passes and no process of the run writes a sanitizer report.
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('the addon under AddressSanitizer and UBSan (npm run test:asan)', function () {
  this.timeout(900_000);

  it('the native and source tests pass against the sanitizer build with 0 reports', function () {
    if (process.env.TCPLENS_ADDON) this.skip(); // already the sanitizer run: no recursion
    const lib = execFileSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
    if (!fs.existsSync(lib)) {
      console.log(`    skipped: gcc's ASan runtime is missing (${lib})`);
      this.skip();
    }
    const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'test-asan.sh')], { cwd: ROOT, encoding: 'utf8' });
    const out = r.stdout + r.stderr;
    expect(out, out.slice(-4000)).to.match(/test-asan: node runs .* with libasan and libubsan/);
    const passing = /^\s*(\d+) passing/m.exec(out);
    expect(passing, out.slice(-4000)).to.not.equal(null);
    expect(Number(passing![1])).to.be.greaterThan(50);
    expect(out, out.slice(-4000)).to.not.match(/^\s*\d+ failing/m);
    expect(out).to.match(/^asan: 0 reports$/m);
    expect(r.status, out.slice(-4000)).to.equal(0);
  });
});
