// tcplens preflight under capsh --drop: each dropped capability gives the
// warning that names it and what is lost, and the views then really behave so.
import { expect } from 'chai';
import { createNetns, deleteNetns, isRoot, startWorkload, type Workload } from '../helpers/netns';
import { hasCapsh, parseReport, rowOf, runNode, tcplens, type Ran } from './run';
import { skipIf } from '../helpers/skip';

type Rec = Record<string, unknown>;

function pollJson(caps: string, netns: string): { r: Ran; recs: Rec[] } {
  const r = tcplens(caps, ['poll', '--once', '--format', 'json', '--netns', netns]);
  let recs: Rec[];
  try {
    recs = JSON.parse(r.stdout) as Rec[];
  } catch {
    throw new Error(`poll printed no JSON (exit ${r.status}): ${r.stdout}${r.stderr}`);
  }
  return { r, recs };
}

describe('tcplens preflight under dropped capabilities', function () {
  this.timeout(60_000);
  let ns = '';
  let wl: Workload | undefined;
  let client = { sport: 0, dport: 0 };

  before(async function () {
    skipIf(this, !isRoot(), 'needs root (capsh --drop, ip netns add)');
    skipIf(this, !hasCapsh(), 'capsh (libcap2-bin) is not installed');
    ns = createNetns('pf');
    wl = await startWorkload(ns, { pairs: [{ family: 4, mark: 7, send: 100 }] });
    const c = wl.info.sockets.find((s) => s.role === 'client')!;
    client = { sport: c.sport, dport: c.dport };
  });

  after(async () => {
    await wl?.stop();
    if (ns) deleteNetns(ns);
  });

  const isClient = (s: Rec): boolean => s.sport === client.sport && s.dport === client.dport;

  describe('without CAP_NET_ADMIN', () => {
    it('exits 0, degraded, and the CAP_NET_ADMIN row warns that marks are lost', () => {
      const r = tcplens('cap_net_admin', ['preflight', '--json']);
      const rep = parseReport(r);
      expect(r.status, r.stderr).to.equal(0);
      expect(rep.verdict).to.equal('degraded');
      const row = rowOf(rep, 'CAP_NET_ADMIN');
      expect(row.status).to.equal('warn');
      expect(row.for).to.match(/^missing: the dump still works but socket marks/);
      expect(row.fix).to.include('CAP_NET_ADMIN');
      expect(rep.views.poll).to.equal('degraded');
      expect(rowOf(rep, 'inet_diag dump').status).to.equal('ok');
    });

    it('and the poll view returns the sockets without marks, as the verdict says', () => {
      const dropped = pollJson('cap_net_admin', ns);
      expect(dropped.r.status, dropped.r.stderr).to.equal(0);
      const c = dropped.recs.find(isClient);
      expect(c, 'client socket polled without CAP_NET_ADMIN').to.not.equal(undefined);
      expect(dropped.recs.filter((s) => 'mark' in s)).to.deep.equal([]);

      const full = pollJson('', ns);
      expect(full.recs.find(isClient)?.mark).to.equal(7);
    });

    it('a full capability set gives an ok CAP_NET_ADMIN row and an ok poll view', () => {
      const rep = parseReport(tcplens('', ['preflight', '--json']));
      expect(rowOf(rep, 'CAP_NET_ADMIN').status).to.equal('ok');
      expect(rep.views.poll).to.equal('ok');
    });
  });

  describe('without CAP_SYS_ADMIN', () => {
    it('warns that only the own namespace can be polled, exit 0', () => {
      const r = tcplens('cap_sys_admin', ['preflight', '--json']);
      const rep = parseReport(r);
      expect(r.status).to.equal(0);
      const row = rowOf(rep, 'CAP_SYS_ADMIN');
      expect(row.status).to.equal('warn');
      expect(row.for).to.match(/^missing, setns fails with EPERM: only our own network namespace/);
      expect(rep.views.netns).to.equal('own');
    });

    it('is not a warning when only the own namespace is wanted (--netns host)', () => {
      const rep = parseReport(tcplens('cap_sys_admin', ['preflight', '--json', '--netns', 'host']));
      expect(rowOf(rep, 'CAP_SYS_ADMIN').status).to.equal('ok');
      expect(rep.views.netns).to.equal('own');
    });

    it('and poll really cannot enter the created namespace, while --netns host works', () => {
      const named = pollJson('cap_sys_admin', ns);
      expect(named.recs.find(isClient)).to.equal(undefined);
      expect(named.r.stderr).to.include(`cannot enter network namespace ${ns}: EPERM`);

      const all = pollJson('cap_sys_admin', 'all');
      expect(all.recs.filter((s) => s.netns === ns)).to.deep.equal([]);
      expect(all.recs.every((s) => s.netns === 'host')).to.equal(true);

      const host = pollJson('cap_sys_admin', 'host');
      expect(host.r.status, host.r.stderr).to.equal(0);
      expect(host.r.stderr).to.not.include('cannot enter');

      // The same namespace with CAP_SYS_ADMIN: the absence above is the capability's doing.
      expect(pollJson('', ns).recs.find(isClient)).to.not.equal(undefined);
    });
  });

  describe('without CAP_SYS_PTRACE', () => {
    it('warns that namespaces only visible through processes are missed', () => {
      const rep = parseReport(tcplens('cap_sys_ptrace', ['preflight', '--json']));
      const row = rowOf(rep, 'CAP_SYS_PTRACE');
      expect(row.status).to.equal('warn');
      expect(row.for).to.match(/^missing: .*\/proc\/PID\/ns\/net cannot be read/);
      expect(row.for).to.include('/run/netns still work');
    });
  });

  describe('without CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN', () => {
    const caps = 'cap_bpf,cap_perfmon,cap_sys_admin';

    it('one warning line for the eBPF views; events and samples off; exit 0', () => {
      const r = tcplens(caps, ['preflight', '--json']);
      const rep = parseReport(r);
      expect(r.status).to.equal(0);
      const ebpf = rep.checks.filter((c) => c.status !== 'ok' && /BPF|PERFMON|BTF/.test(c.check));
      expect(ebpf.map((c) => c.check)).to.deep.equal(['eBPF (events, samples)']);
      expect(ebpf[0]!.for).to.include('missing CAP_BPF+CAP_PERFMON (or CAP_SYS_ADMIN)');
      expect(ebpf[0]!.for).to.include('events and samples views off; poll + destroy still work');
      expect(rep.views.events).to.equal('off');
      expect(rep.views.samples).to.equal('off');
      expect(rep.views.poll).to.equal('ok');
      expect(rep.views.destroy).to.equal('ok');
    });

    it('and loading a BPF program really fails', () => {
      const snippet = "process.stdout.write(JSON.stringify(require('./dist/src/native/addon.js').addon().probe.bpf()))";
      const dropped = JSON.parse(runNode(caps, ['-e', snippet]).stdout) as { ok: boolean; code?: string };
      expect(dropped.ok).to.equal(false);
      expect(dropped.code).to.equal('EPERM');
      expect((JSON.parse(runNode('', ['-e', snippet]).stdout) as { ok: boolean }).ok).to.equal(true);
    });

    it('a long-running command logs the eBPF problem once, in one line', () => {
      const snippet = [
        "const p = require('./dist/src/preflight');",
        'const lines = [];',
        'p.logPreflightOnce(p.runPreflight(), (l) => lines.push(l));',
        'p.logPreflightOnce(p.runPreflight(), (l) => lines.push(l));',
        'process.stdout.write(JSON.stringify(lines));',
      ].join('\n');
      const lines = JSON.parse(runNode(caps, ['-e', snippet]).stdout) as string[];
      const ebpf = lines.filter((l) => /^tcplens: preflight \w+ (eBPF|CAP_BPF|CAP_PERFMON|BTF)/.test(l));
      expect(ebpf).to.have.length(1);
      expect(ebpf[0]).to.match(/^tcplens: preflight warn eBPF \(events, samples\) missing .*events and samples views off.*\(fix: /);
      expect(lines.filter((l) => l.includes('CAP_SYS_ADMIN missing'))).to.have.length(1);
    });
  });
});
