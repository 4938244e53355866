// npm run package:deb: the package's dependencies are what the addon links
// (no compiler), and it installs into a fresh Debian 12 root (debootstrap,
// cached; an overlay per run), runs `tcplens preflight` and a short
// `tcplens run --sink stdout` there as its own user with the unit's
// capabilities, and leaves only its configuration on `dpkg -r` and nothing
// on `dpkg --purge`.
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { PreflightReport } from '../../src/preflight';
import { DebRoot } from '../helpers/deb_root';
import { isRoot } from '../helpers/netns';
import { haveCommand } from '../helpers/skip';
import { BIN } from '../preflight/run';
import { capList, readUnit, ROOT, setprivArgs, value } from '../helpers/systemd_unit';

const ADDON = path.join(ROOT, 'build/Release/tcplens.node');
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
// what dpkg itself, the shadow tools' backups (/etc/passwd- ...) and logs
// change in any root; /etc/passwd and friends are compared whole instead
const NOISE = /^(var\/lib\/dpkg|var\/log|var\/cache\/(debconf|ldconfig)|etc\/(passwd|group|shadow|gshadow|subuid|subgid)-$)/;
const ACCOUNTS = ['etc/passwd', 'etc/group', 'etc/shadow', 'etc/gshadow'];
/** what `dpkg -r` keeps: the conffile and the password file postinst made */
const CONFIG = ['etc/tcplens', 'etc/tcplens/clickhouse-password', 'etc/tcplens/tcplens.json'];

const tool = haveCommand;
const diff = (a: Set<string>, b: Set<string>): string[] => [...a].filter((x) => !b.has(x) && !NOISE.test(x)).sort();

/** Debian package of each shared library the addon names in DT_NEEDED. */
function neededPackages(): Map<string, string> {
  const needed = [...execFileSync('readelf', ['-d', ADDON], { encoding: 'utf8' }).matchAll(/\(NEEDED\)\s+Shared library: \[(.+)\]/g)].map(
    (m) => m[1]!,
  );
  const where = new Map(
    [...execFileSync('ldd', [ADDON], { encoding: 'utf8' }).matchAll(/^\s*(\S+) => (\S+)/gm)].map((m) => [m[1]!, m[2]!]),
  );
  const out = new Map<string, string>();
  for (const lib of needed) {
    const file = where.get(lib) ?? (lib.startsWith('ld-linux') ? `/lib64/${lib}` : '');
    const candidates = [file, fs.existsSync(file) ? fs.realpathSync(file) : ''].filter(Boolean);
    const owner = candidates.map((f) => spawnSync('dpkg', ['-S', f], { encoding: 'utf8' })).find((r) => r.status === 0);
    if (!owner) throw new Error(`no Debian package owns ${lib} (${candidates.join(', ')})`);
    out.set(lib, owner.stdout.split(':')[0]!);
  }
  return out;
}

describe('npm run package:deb, bad input', () => {
  it('an unknown option: one line naming the options, exit 2', () => {
    const r = spawnSync('bash', [path.join(ROOT, 'scripts/package-deb.sh'), '--bogus'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).to.equal(2);
    expect(r.stderr).to.equal("package-deb: unknown option '--bogus' (--no-build, --out DIR)\n");
  });
});

describe('the Debian package (npm run package:deb)', function () {
  this.timeout(120_000);
  let deb = '';
  let out = '';

  before(function () {
    if (!isRoot()) {
      console.log('    skipped: needs root (dpkg-deb --root-owner-group builds as root here; chroot, mount)');
      this.skip();
    }
    for (const t of ['dpkg-deb', 'dpkg-shlibdeps', 'readelf']) {
      if (!tool(t)) {
        console.log(`    skipped: ${t} not installed (bash scripts/bootstrap.sh)`);
        this.skip();
      }
    }
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'tldebout-'));
    // dist/ was just built by the test run; the addon by bootstrap
    const r = spawnSync('bash', [path.join(ROOT, 'scripts/package-deb.sh'), '--no-build', '--out', out], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    deb = r.stdout.trim().split('\n').pop()!;
  });

  after(() => {
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  const field = (name: string): string => execFileSync('dpkg-deb', ['-f', deb, name], { encoding: 'utf8' }).trim();

  it(`is tcplens_${VERSION}_<arch>.deb: Depends on Node 20+, adduser and the packages of the addon's libraries, nothing to build with`, () => {
    expect(path.basename(deb)).to.equal(
      `tcplens_${VERSION}_${execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim()}.deb`,
    );
    const depends = field('Depends')
      .split(/,\s*/)
      .map((d) => d.split(/\s/)[0]!);
    expect(field('Depends')).to.match(/(^|, )nodejs \(>= 20\)(,|$)/);
    const libs = [...new Set(neededPackages().values())].sort();
    expect(libs).to.include.members(['libc6', 'libelf1', 'zlib1g']);
    expect(depends.filter((d) => d !== 'nodejs' && d !== 'adduser').sort()).to.deep.equal(libs);
    expect(depends.filter((d) => /-dev$|^(gcc|g\+\+|cpp|clang|llvm|make|bpftool|binutils)/.test(d))).to.deep.equal([]);
  });

  it('holds the addon (with its eBPF skeletons), dist/src, schema, proto, production node_modules, the unit and a conffile', () => {
    const files = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8', maxBuffer: 64 << 20 });
    for (const f of [
      './usr/lib/tcplens/build/Release/tcplens.node',
      './usr/lib/tcplens/dist/src/cli/main.js',
      './usr/lib/tcplens/bin/tcplens.js',
      './usr/lib/tcplens/schema/001_tcp_snapshots.sql',
      './usr/lib/tcplens/proto/tcplens.proto',
      './usr/lib/tcplens/node_modules/yargs/package.json',
      './usr/bin/tcplens -> ../lib/tcplens/bin/tcplens.js',
      './lib/systemd/system/tcplens.service',
      './etc/tcplens/tcplens.json',
    ]) {
      expect(files, f).to.include(f);
    }
    // nothing only tests and builds need
    expect(files).to.not.match(/node_modules\/(mocha|typescript|chai|node-gyp|node-addon-api)\//);
    expect(files).to.not.match(/\/usr\/lib\/tcplens\/dist\/(test\/|.*\.ts\n|.*\.map\n)/);
    const conffiles = execFileSync('sh', ['-c', `dpkg-deb --ctrl-tarfile '${deb}' | tar -xO ./conffiles`], { encoding: 'utf8' });
    expect(conffiles.trim()).to.equal('/etc/tcplens/tcplens.json');
    // no bpf/*.o: the skeletons compiled into the addon embed them (the run
    // below starts the eBPF views from the package alone)
    expect(files).to.not.match(/\.bpf\.o\n/);
  });

  describe('in a fresh Debian 12 root', function () {
    let root: DebRoot | undefined;
    let before0 = new Set<string>();
    const accounts0: Record<string, string> = {};
    let hostReport: PreflightReport;

    before(function () {
      this.timeout(600_000);
      for (const t of ['debootstrap', 'dpkg-repack', 'unshare', 'chroot', 'setpriv']) {
        if (!tool(t)) {
          console.log(`    skipped: ${t} not installed (bash scripts/bootstrap.sh)`);
          this.skip();
        }
      }
      if (spawnSync('dpkg-query', ['-W', 'nodejs'], { stdio: 'ignore' }).status !== 0) {
        console.log('    skipped: Node is not the Debian package nodejs here: there is no Node 20 package to put in the root');
        this.skip();
      }
      // cached: ~1.5 min the first time on a machine, then instant
      const base = spawnSync('bash', [path.join(ROOT, 'test/deploy/base_root.sh')], { encoding: 'utf8', timeout: 590_000 });
      expect(base.status, base.stderr).to.equal(0);
      root = new DebRoot(base.stdout.trim().split('\n').pop()!);
      before0 = root.files();
      for (const f of ACCOUNTS) accounts0[f] = root.read(f);
      const h = spawnSync(process.execPath, [BIN, 'preflight', '--json'], { encoding: 'utf8' });
      hostReport = JSON.parse(h.stdout) as PreflightReport;
    });

    after(() => root?.close());

    it('dpkg -i installs it: the tcplens system user, /usr/bin/tcplens, an empty root-only password file', () => {
      const r = root!.run(['dpkg', '-i', root!.put(deb)]);
      expect(r.status, `${r.stdout}${r.stderr}`).to.equal(0);
      expect(r.stderr).to.not.match(/warning|error/i);
      const pw = root!.run(['getent', 'passwd', 'tcplens']).stdout.trim().split(':');
      expect(Number(pw[2]), 'a system uid').to.be.below(1000);
      expect(pw[6]).to.equal('/usr/sbin/nologin');
      expect(root!.run(['getent', 'group', 'tcplens']).status).to.equal(0);
      const st = fs.statSync(path.join(root!.root, 'etc/tcplens/clickhouse-password'));
      expect({ mode: (st.mode & 0o777).toString(8), size: st.size, uid: st.uid }).to.deep.equal({ mode: '600', size: 0, uid: 0 });
      expect(root!.run(['tcplens', '--version']).stdout.trim()).to.equal(VERSION);
    });

    it('tcplens preflight from the installed package says what the checkout says on this host', () => {
      const r = root!.run(['tcplens', 'preflight', '--json']);
      expect(r.status, r.stderr).to.equal(0);
      const rep = JSON.parse(r.stdout) as PreflightReport;
      expect(rep.views).to.deep.equal(hostReport.views);
      expect(rep.parts).to.deep.equal(hostReport.parts);
      expect(rep.views.poll).to.not.equal('off');
    });

    it("tcplens run --sink stdout, as the tcplens user with the unit's capabilities: every view starts, rows come out", () => {
      const unit = readUnit();
      const caps = capList(value(unit, 'Service.AmbientCapabilities'));
      const r = root!.run(
        [
          ...setprivArgs('tcplens', 'tcplens', caps),
          'tcplens',
          'run',
          '--config',
          '/etc/tcplens/tcplens.json',
          '--sink',
          'stdout',
          '--duration',
          '3s',
          // the packaged config starts fleet hosts at a random phase of its 10 s
          // interval; a 3 s run polls at once to see the poll's rows
          '--poll-phase',
          'none',
          '--listen',
          '127.0.0.1:0',
        ],
        { timeoutMs: 60_000 },
      );
      expect(r.status, r.stderr.slice(-2000)).to.equal(0);
      const logs = r.stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const started = logs.find((l) => l['key'] === 'run.started');
      expect(started, r.stderr.slice(-2000)).to.not.equal(undefined);
      expect(started!['views']).to.include.members(['poll', 'destroy', 'events', 'samples']);
      expect(
        logs.find((l) => l['key'] === 'run.totals'),
        'run.totals at the end',
      ).to.not.equal(undefined);
      expect(r.stdout).to.include('"table":"tcp_snapshots"');
    });

    it('dpkg -r leaves only its configuration (and the user, for a reinstall)', () => {
      const r = root!.run(['dpkg', '-r', 'tcplens']);
      expect(r.status, `${r.stdout}${r.stderr}`).to.equal(0);
      expect(root!.run(['dpkg-query', '-W', '-f=${Status}', 'tcplens']).stdout).to.equal('deinstall ok config-files');
      expect(diff(root!.files(), before0)).to.deep.equal(CONFIG);
      expect(root!.run(['getent', 'passwd', 'tcplens']).status).to.equal(0);
    });

    it('dpkg --purge leaves nothing: no file, no user, no group, no dpkg record', () => {
      const r = root!.run(['dpkg', '--purge', 'tcplens']);
      expect(r.status, `${r.stdout}${r.stderr}`).to.equal(0);
      const now = root!.files();
      expect(diff(now, before0)).to.deep.equal([]);
      expect(diff(before0, now), 'nothing of the root removed').to.deep.equal([]);
      for (const f of ACCOUNTS) expect(root!.read(f), f).to.equal(accounts0[f]);
      expect([...now].filter((f) => f.startsWith('var/lib/dpkg/info/tcplens.'))).to.deep.equal([]);
      expect(root!.run(['dpkg-query', '-W', 'tcplens']).status).to.not.equal(0);
    });
  });
});
