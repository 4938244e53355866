// A kernel whose inet_diag modules are not loaded and cannot be autoloaded
// answers a dump with ENOENT: preflight's fix names the modules to load. Made
// real by unloading the modules and pointing the kernel's module loader at
// /bin/false for the test's length; needs inet_diag built as a module (as in
// Debian's kernels, which the kernel matrix boots), so a kernel with it built
// in skips, saying so.
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import { parseReport, rowOf, BIN } from './run';
import { isRoot } from '../helpers/netns';
import { skipIf } from '../helpers/skip';
import { scaled } from '../helpers/time_scale';

const MODPROBE = '/proc/sys/kernel/modprobe';
const DIAG_MODULES = ['tcp_diag', 'udp_diag', 'raw_diag', 'inet_diag']; // users first

/** inet_diag is a loadable module of this kernel (not built in). */
function diagIsModule(): boolean {
  try {
    return /\/inet_diag\.ko/.test(fs.readFileSync(`/lib/modules/${os.release()}/modules.dep`, 'utf8'));
  } catch {
    return false;
  }
}

const loaded = (m: string): boolean =>
  fs
    .readFileSync('/proc/modules', 'utf8')
    .split('\n')
    .some((l) => l.startsWith(`${m} `));

describe('preflight: inet_diag missing from the kernel (ENOENT)', function () {
  this.timeout(scaled(60_000));
  let modprobe = '';

  before(function () {
    skipIf(this, !isRoot(), 'needs root (modules)');
    if (!diagIsModule()) {
      console.log(
        `    skipped: inet_diag is built into ${os.release()}, it cannot go missing (the kernel matrix's Debian kernels run this)`,
      );
      this.skip();
    }
    modprobe = fs.readFileSync(MODPROBE, 'utf8').trim();
  });

  after(() => {
    if (!modprobe) return;
    fs.writeFileSync(MODPROBE, modprobe);
    execFileSync('modprobe', ['inet_diag']);
    execFileSync('modprobe', ['tcp_diag']);
  });

  it('the inet_diag row is fatal and its fix names the modules to load', () => {
    fs.writeFileSync(MODPROBE, '/bin/false'); // no autoloading while the modules are out
    for (const m of DIAG_MODULES) if (loaded(m)) execFileSync('rmmod', [m]);
    expect(loaded('inet_diag')).to.equal(false);
    const r = spawnSync(process.execPath, [BIN, 'preflight', '--json'], { encoding: 'utf8' });
    expect(r.status).to.equal(1);
    const row = rowOf(parseReport({ status: r.status, stdout: r.stdout, stderr: r.stderr }), 'inet_diag dump');
    expect(row.status).to.equal('fatal');
    expect(row.for).to.match(/^fails with ENOENT/);
    expect(row.fix).to.include('modprobe inet_diag tcp_diag').and.include('CONFIG_INET_DIAG');
  });
});
