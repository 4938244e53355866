// deploy/systemd/tcplens.service: systemd-analyze verify accepts it, it asks
// for what the issue lists, and its capability set is sufficient and minimal:
// tcplens run as an unprivileged user with exactly those capabilities
// (setpriv, as User= + AmbientCapabilities= + CapabilityBoundingSet= give)
// starts every view root starts here, and with each one removed, preflight
// names what is lost and the rest still runs.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CAPS_ALL_NAMESPACES, CAPS_OWN_NAMESPACE, capName, type CapUse } from '../../src/preflight/cap_table';
import type { PreflightReport } from '../../src/preflight';
import { isRoot } from '../helpers/netns';
import { BIN } from '../preflight/run';
import { capList, readableBy, readUnit, ROOT, setprivArgs, UNIT, value } from '../helpers/systemd_unit';
import { inMountNs } from '../helpers/wrap';

const NOBODY = 65534;
type Log = Record<string, unknown>;

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

// What ProtectKernelTunables= does to the files tcplens might read: /proc/kallsyms
// inaccessible (libbpf would read it for untyped ksyms), /proc/sys read-only;
// in a mount namespace of the run's own
const TUNABLES_SANDBOX = inMountNs(
  'mount --bind /dev/null /proc/kallsyms && mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys',
);

function asUser(caps: readonly string[], args: string[], cwd: string, wrap: string[] = []): Ran {
  const argv = [...wrap, ...setprivArgs(NOBODY, NOBODY, caps), process.execPath, BIN, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd, encoding: 'utf8', timeout: 90_000, maxBuffer: 256 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function report(r: Ran): PreflightReport {
  try {
    return JSON.parse(r.stdout) as PreflightReport;
  } catch {
    throw new Error(`preflight printed no JSON (exit ${r.status}): ${r.stderr}`);
  }
}

const logs = (r: Ran): Log[] =>
  r.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Log);
const started = (r: Ran): Log => {
  const s = logs(r).find((l) => l['key'] === 'run.started');
  if (!s) throw new Error(`no run.started line (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  return s;
};
/** the views a report says run, as run.started lists them (owners: the samples view's socket-owner pass) */
const runningViews = (rep: PreflightReport): string[] => [
  'poll',
  'listen', // listeners on their own period (--listen-interval 30s, above the default --interval)
  ...(rep.views.destroy !== 'off' ? ['destroy'] : []),
  ...(rep.views.events !== 'off' ? ['events'] : []),
  ...(rep.views.samples !== 'off' ? ['samples'] : []),
  ...(rep.parts.samples.some((p) => p.part === 'owners' && p.up) ? ['owners'] : []),
];
const summary = (rep: PreflightReport): Record<string, Record<string, string>> => ({
  events: Object.fromEntries(rep.parts.events.map((p) => [p.part, p.up ? p.program : 'off'])),
  samples: Object.fromEntries(rep.parts.samples.map((p) => [p.part, p.up ? p.program : 'off'])),
});

describe('deploy/systemd/tcplens.service', function () {
  this.timeout(120_000);
  const unit = readUnit();

  it('systemd-analyze verify accepts it without a word', function () {
    const r = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
    if (r.error) {
      console.log('    skipped: systemd-analyze not installed (apt-get install systemd)');
      this.skip();
    }
    expect(r.status, r.stderr).to.equal(0);
    expect(`${r.stdout}${r.stderr}`.trim()).to.equal('');
  });

  it('runs as the tcplens user, hardened, with its spool in the StateDirectory and the limits set', () => {
    expect(value(unit, 'Service.User')).to.equal('tcplens');
    for (const [k, v] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['StateDirectory', 'tcplens'],
      ['Restart', 'on-failure'],
      ['LimitMEMLOCK', 'infinity'],
    ]) {
      expect(value(unit, `Service.${k}`), k).to.equal(v);
    }
    expect(Number(value(unit, 'Service.LimitNOFILE'))).to.be.at.least(1024);
    expect(parseFloat(value(unit, 'Service.RestartSec'))).to.be.at.least(5);
    const config = JSON.parse(fs.readFileSync(path.join(ROOT, 'deploy/debian/tcplens.json'), 'utf8')) as Record<string, string>;
    expect(value(unit, 'Service.ExecStart')).to.include('--config /etc/tcplens/tcplens.json');
    expect(config['spool-dir']!.startsWith('/var/lib/tcplens/')).to.equal(true);
    expect(config['listen']).to.match(/^127\.0\.0\.1:/);
    // the password reaches tcplens as a file systemd made, never argv
    expect(value(unit, 'Service.Environment')).to.equal('TCPLENS_CLICKHOUSE_PASSWORD_FILE=%d/clickhouse-password');
    expect(value(unit, 'Service.LoadCredential')).to.equal('clickhouse-password:/etc/tcplens/clickhouse-password');
  });

  it('TCPLENS_CLICKHOUSE_PASSWORD_FILE, as the unit sets it, is what tcplens reads the password from', () => {
    // a file that is not there: the one error that names the flag
    const r = spawnSync(process.execPath, [BIN, 'run', '--duration', '1s', '--listen', '127.0.0.1:0'], {
      encoding: 'utf8',
      env: { ...process.env, TCPLENS_CLICKHOUSE_URL: 'http://127.0.0.1:1', TCPLENS_CLICKHOUSE_PASSWORD_FILE: '/nonexistent/tcplens-pw' },
    });
    expect(r.status).to.equal(2);
    expect(r.stderr.trim()).to.equal('tcplens: --clickhouse-password-file: cannot read /nonexistent/tcplens-pw: ENOENT');
  });

  it('has no ExecReload, as tcplens has no reload (no SIGHUP handler in dist/src)', () => {
    expect(unit.keys.has('Service.ExecReload')).to.equal(false);
    const hits = spawnSync('grep', ['-rl', 'SIGHUP', path.join(ROOT, 'dist/src')], { encoding: 'utf8' }).stdout.trim();
    expect(hits, 'tcplens handles SIGHUP now: give the unit an ExecReload').to.equal('');
  });

  it("names exactly the capability table's set, each with a comment saying which views it serves", () => {
    const want = CAPS_ALL_NAMESPACES.map((c) => capName(c.cap)).sort();
    expect(capList(value(unit, 'Service.AmbientCapabilities')).sort()).to.deep.equal(want);
    expect(capList(value(unit, 'Service.CapabilityBoundingSet')).sort()).to.deep.equal(want);
    for (const c of CAPS_ALL_NAMESPACES) {
      // "# CAP_X: ..." and its indented continuation lines
      const at = unit.comments.findIndex((l) => l.startsWith(`${capName(c.cap)}:`));
      expect(at, `a "# ${capName(c.cap)}: ..." comment`).to.be.at.least(0);
      let block = unit.comments[at]!;
      for (let i = at + 1; i < unit.comments.length && /^\s/.test(unit.comments[i]!); i++) block += unit.comments[i];
      for (const v of c.views) expect(block, `the ${capName(c.cap)} comment names the ${v} view`).to.match(new RegExp(`\\b${v}\\b`));
    }
  });

  describe('as an unprivileged user with exactly those capabilities', function () {
    let cwd = '';
    let rootReport: PreflightReport;

    before(function () {
      if (!isRoot()) {
        console.log('    skipped: needs root (setpriv to another user with chosen capabilities)');
        this.skip();
      }
      if (!readableBy(NOBODY, BIN)) {
        console.log(`    skipped: uid ${NOBODY} cannot read ${BIN} (a checkout it cannot enter)`);
        this.skip();
      }
      cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'tlunit-'));
      fs.chownSync(cwd, NOBODY, NOBODY);
      // what this host allows at all: root's view of it (the unit must lose nothing of it)
      const r = spawnSync(process.execPath, [BIN, 'preflight', '--json'], { encoding: 'utf8' });
      rootReport = report({ status: r.status, stdout: r.stdout, stderr: r.stderr });
    });

    after(() => {
      if (cwd) fs.rmSync(cwd, { recursive: true, force: true });
    });

    const unitCaps = (): string[] => capList(value(unit, 'Service.AmbientCapabilities'));
    const run = (caps: readonly string[], extra: string[] = [], wrap: string[] = []): Ran =>
      asUser(
        caps,
        ['run', '--sink', 'stdout', '--duration', '3s', '--listen', '127.0.0.1:0', '--spool-dir', path.join(cwd, 'spool'), ...extra],
        cwd,
        wrap,
      );

    it('preflight: every view and part as root gets them, every namespace, no capability row warns', () => {
      const rep = report(asUser(unitCaps(), ['preflight', '--json'], cwd));
      expect(rep.views).to.deep.equal(rootReport.views);
      expect(rep.views.netns).to.equal('all');
      expect(summary(rep)).to.deep.equal(summary(rootReport));
      const capRows = rep.checks.filter((c) => c.check.startsWith('CAP_') || c.check.startsWith('eBPF'));
      expect(capRows.filter((c) => c.status !== 'ok').map((c) => `${c.check}: ${c.for}`)).to.deep.equal([]);
    });

    it("run, /proc/kallsyms hidden and /proc/sys read-only as the unit makes them: every view and each eBPF part in root's variant; poll rows", () => {
      expect(value(unit, 'Service.ProtectKernelTunables')).to.equal('yes');
      const r = run(unitCaps(), [], TUNABLES_SANDBOX);
      expect(r.status, r.stderr.slice(-2000)).to.equal(0);
      const s = started(r);
      expect(s['views']).to.deep.equal(runningViews(rootReport));
      expect(s['views']).to.include.members(['poll', 'destroy', 'events', 'samples']);
      expect(s['parts']).to.deep.equal(summary(rootReport));
      // the run's own metrics listener at least
      expect(r.stdout.split('\n').some((l) => l.includes('"table":"tcp_snapshots"'))).to.equal(true);
    });

    for (const c of CAPS_ALL_NAMESPACES) {
      const lost =
        Object.entries(c.lost)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'views unchanged';
      it(`without ${capName(c.cap)}: preflight's ${c.rows.join(' and ')} rows name it; ${lost}; the rest runs`, () => {
        const caps = unitCaps().filter((x) => x !== capName(c.cap));
        const rep = report(asUser(caps, ['preflight', '--json'], cwd));
        for (const name of c.rows) {
          const row = rep.checks.find((x) => x.check === name);
          expect(row, `a "${name}" row`).to.not.equal(undefined);
          expect(row!.status, `${name}: ${row!.for}`).to.equal('warn');
          expect(`${row!.check} ${row!.for}`).to.include(capName(c.cap));
        }
        expect(rep.views).to.deep.equal({ ...rootReport.views, ...c.lost });

        const r = run(caps);
        expect(r.status, r.stderr.slice(-2000)).to.equal(0);
        expect(started(r)['views']).to.deep.equal(runningViews(rep));
        const warned = logs(r)
          .filter((l) => l['key'] === 'preflight')
          .map((l) => String(l['msg']));
        for (const name of c.rows)
          expect(
            warned.some((m) => m.includes(`preflight warn ${name}`)),
            `run warns: ${name}`,
          ).to.equal(true);
      });
    }

    it('the own-namespace set (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN) with --netns host also starts every view', () => {
      const caps = CAPS_OWN_NAMESPACE.map((c: CapUse) => capName(c.cap));
      const r = run(caps, ['--netns', 'host']);
      expect(r.status, r.stderr.slice(-2000)).to.equal(0);
      expect(started(r)['views']).to.deep.equal(runningViews(rootReport));
      expect(started(r)['parts']).to.deep.equal(summary(rootReport));
    });
  });
});
