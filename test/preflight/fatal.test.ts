// The fatal paths, produced for real: the inet_diag dump refused by a seccomp
// filter (no capability gates it, so capsh cannot), and an unbuilt addon.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseReport, ROOT, rowOf, runNoNetlink, tcplens, BIN } from './run';
import { skipIf } from '../helpers/skip';

describe('tcplens preflight: fatal checks', function () {
  this.timeout(60_000);

  describe('inet_diag refused (seccomp filter on AF_NETLINK sockets)', () => {
    it('exits 1 with a fatal inet_diag row and the poll view off', () => {
      const r = runNoNetlink([BIN, 'preflight', '--json']);
      const rep = parseReport(r);
      expect(r.status).to.equal(1);
      expect(rep.verdict).to.equal('fatal');
      const row = rowOf(rep, 'inet_diag dump');
      expect(row.status).to.equal('fatal');
      expect(row.for).to.match(/^fails with EACCES .*tcplens cannot run/);
      expect(row.fix).to.include('seccomp');
      expect(rep.views.poll).to.equal('off');
      expect(rep.views.destroy).to.equal('off');
    });

    it('the table says so too, with exit 1', () => {
      const r = runNoNetlink([BIN, 'preflight']);
      expect(r.status).to.equal(1);
      expect(r.stdout).to.match(/^inet_diag dump\s+fatal\s+fails with EACCES/m);
      expect(r.stdout).to.match(/^verdict: fatal/m);
    });

    it('and the poll view really fails under the same filter', () => {
      const r = runNoNetlink([BIN, 'poll', '--once', '--format', 'json', '--netns', 'host']);
      expect(r.status).to.not.equal(0);
      expect(r.stderr).to.include('EACCES');
    });
  });

  describe('native addon not built', () => {
    let dir = '';

    before(function () {
      skipIf(this, !fs.existsSync(path.join(ROOT, 'dist/src/cli/main.js')), 'dist/ not built');
      // A copy of the compiled CLI with no build/ beside it: the real load failure.
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcplens-noaddon-'));
      fs.cpSync(path.join(ROOT, 'dist/src'), path.join(dir, 'dist/src'), { recursive: true });
      fs.cpSync(path.join(ROOT, 'bin'), path.join(dir, 'bin'), { recursive: true });
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    });

    after(() => {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('exits 1 with a fatal "native addon" row whose fix is npm run build', () => {
      const r = tcplens('', ['preflight', '--json'], path.join(dir, 'bin/tcplens.js'));
      const rep = parseReport(r);
      expect(r.status).to.equal(1);
      expect(rep.verdict).to.equal('fatal');
      const row = rowOf(rep, 'native addon');
      expect(row.status).to.equal('fatal');
      expect(row.fix).to.equal('npm run build');
      expect(rep.views).to.deep.equal({ poll: 'off', destroy: 'off', events: 'off', samples: 'off', netns: 'own' });
    });
  });

  it('this host (root, no CAP_SYS_RESOURCE) runs: every check reported, exit 0', () => {
    const r = tcplens('', ['preflight', '--json']);
    expect(r.status, r.stderr).to.equal(0);
    expect(parseReport(r).checks.map((c) => c.check)).to.include.members([
      'native addon',
      'kernel',
      'inet_diag dump',
      'CAP_NET_ADMIN',
      'CAP_SYS_ADMIN',
      'CAP_SYS_PTRACE',
      'destroy multicast',
      'eBPF (events, samples)',
      'tracefs',
      'bpffs',
      'CAP_SYS_RESOURCE',
      'RLIMIT_MEMLOCK',
      'RLIMIT_NOFILE',
    ]);
  });
});
