// The eBPF part rows (one per part of the events and samples views) and the
// views they decide, from facts measured on this host with single parts
// replaced, so each path is checked without breaking the kernel. The real
// refusals (a program the verifier rejects, no capability, no tracefs) are
// forced for real in verdicts.test.ts.
import { expect } from 'chai';
import { gatherFacts, type Facts } from '../../src/preflight/facts';
import { decideChecks, decideViews } from '../../src/preflight/checks';
import { partDefs } from '../../src/sources/parts';
import type { ViewPart } from '../../src/native/addon';
import { skipIf } from '../helpers/skip';

const eperm = { ok: false, errno: 1, code: 'EPERM', message: 'Operation not permitted' };
const VERIFIER =
  'btf_retransmit: refused (Permission denied): 33: (85) call bpf_get_socket_cookie#46 | unknown func bpf_get_socket_cookie#46';

describe('preflight: eBPF part rows', () => {
  let host: Facts;
  before(() => {
    host = gatherFacts();
  });
  const rowOf = (f: Facts, name: string) => decideChecks(f).find((r) => r.check === name);
  const withParts = (view: 'events' | 'samples', edit: (p: ViewPart) => ViewPart, mounts?: Partial<Facts['mounts']>): Facts => ({
    ...host,
    probes: { ...host.probes, bpf: { ok: true, errno: 0 }, [view]: { parts: host.probes[view]!.parts.map(edit), error: null } },
    mounts: { ...host.mounts, ...mounts },
  });

  it('this host: one row per part of each view, named after the native tables', function () {
    skipIf(this, !host.probes.bpf?.ok, 'no BPF program loads here');
    for (const view of ['events', 'samples'] as const) {
      const names = partDefs(view).map((d) => d.part);
      expect(names.length).to.be.greaterThan(1);
      expect(host.probes[view]!.parts.map((p) => p.part)).to.deep.equal(names);
      for (const p of host.probes[view]!.parts) {
        const r = rowOf(host, `${view}: ${p.part}`)!;
        expect(r, `${view}: ${p.part}`).to.not.equal(undefined);
        if (p.up) expect(r.for).to.match(new RegExp(`^runs as ${p.program} `));
        else expect(r).to.include({ status: 'warn', for: `off: ${p.why}` });
      }
    }
  });

  it("a part refused in every variant: a warning with the verifier's words; the view degrades, the other view is unaffected", function () {
    if (!host.probes.events?.parts.length) this.skip();
    const f = withParts('events', (p) =>
      p.part === 'retransmit'
        ? { ...p, up: false, program: '', why: VERIFIER }
        : { ...p, up: true, program: partDefs('events').find((d) => d.part === p.part)!.variants[0]!.program, why: '' },
    );
    const r = rowOf(f, 'events: retransmit')!;
    expect(r.status).to.equal('warn');
    expect(r.for).to.equal(`off: ${VERIFIER}`);
    expect(r.fix).to.match(/tp_btf/);
    expect(rowOf(f, 'events: state')!.status).to.equal('ok');
    expect(decideViews(f).events).to.equal('degraded');
    expect(decideViews(f).samples).to.equal(decideViews(host).samples);
  });

  it('every part off: the view is off', function () {
    if (!host.probes.samples?.parts.length) this.skip();
    const f = withParts('samples', (p) => ({ ...p, up: false, program: '', why: 'refused' }));
    expect(decideViews(f).samples).to.equal('off');
    expect(decideChecks(f).filter((r) => r.check.startsWith('samples: ') && r.status === 'warn')).to.have.length(
      f.probes.samples!.parts.length,
    );
  });

  it('a fallback variant runs: ok, and the row says what it gives up and why the better ones were refused', function () {
    if (!host.probes.events?.parts.length) this.skip();
    const f = withParts('events', (p) => (p.part === 'state' ? { ...p, up: true, program: 'btfrd_set_state', why: VERIFIER } : p));
    const r = rowOf(f, 'events: state')!;
    expect(r.status).to.equal('ok');
    expect(r.for).to.include('runs as btfrd_set_state').and.include('cookies read, not generated').and.include(VERIFIER);
  });

  it('the classic-tracepoint variant runs: a warning (no cookies from BTF), the view degraded', function () {
    if (!host.probes.events?.parts.length) this.skip();
    const f = withParts('events', (p) => ({
      ...p,
      up: true,
      program: partDefs('events').find((d) => d.part === p.part)!.variants[2]!.program,
      why: 'tp_btf refused',
    }));
    expect(rowOf(f, 'events: state')!.status).to.equal('warn');
    expect(decideViews(f).events).to.equal('degraded');
  });

  it('without tracefs, an events part that is off says how to mount it', function () {
    if (!host.probes.events?.parts.length) this.skip();
    const f = withParts('events', (p) => ({ ...p, up: false, program: '', why: 'refused' }), { tracefs: null });
    expect(rowOf(f, 'events: state')!.fix).to.include('mount -t tracefs nodev /sys/kernel/tracing');
    expect(decideViews(f).events).to.equal('off');
  });

  it('bpf_stats off is a warning with the sysctl that fixes it; on is ok', () => {
    const on = { ...host, probes: { ...host.probes, bpf: { ok: true, errno: 0 } }, bpfStats: true };
    const off = { ...on, bpfStats: false };
    expect(rowOf(on, 'bpf_stats')!.status).to.equal('ok');
    expect(rowOf(off, 'bpf_stats')).to.include({
      status: 'warn',
      fix: 'sysctl -w kernel.bpf_stats_enabled=1 (costs ~20 ns per program run)',
    });
  });

  it('no BPF at all: one eBPF warning, and none of the part, tracefs or bpffs rows', () => {
    const off = (view: 'events' | 'samples') => ({
      parts: partDefs(view).map((d) => ({ part: d.part, program: '', up: false, why: 'EPERM' })),
      error: 'EPERM',
    });
    const f = {
      ...host,
      probes: { ...host.probes, bpf: eperm, events: off('events'), samples: off('samples') },
      mounts: { ...host.mounts, tracefs: null, bpffs: false },
      bpfStats: false,
    };
    const names = decideChecks(f).map((r) => r.check);
    for (const n of ['bpf_stats', 'tracefs', 'bpffs']) expect(names).to.not.include(n);
    expect(names.filter((n) => /^(events|samples): /.test(n))).to.deep.equal([]);
    expect(decideChecks(f).filter((r) => r.status !== 'ok' && /eBPF/.test(r.check))).to.have.length(1);
    expect(decideViews(f)).to.include({ events: 'off', samples: 'off' });
  });
});
