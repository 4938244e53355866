// The eBPF refinement rows (tp_btf, iter/task, bpf_stats) and the views they
// decide, from facts measured on this host with single probes replaced, so
// each failure path is checked without breaking the kernel.
import { expect } from 'chai';
import { gatherFacts, type Facts } from '../../src/preflight/facts';
import { decideChecks, decideViews } from '../../src/preflight/checks';

const fail = { ok: false, errno: 2, code: 'ENOENT', message: 'No such file or directory' };
const eperm = { ok: false, errno: 1, code: 'EPERM', message: 'Operation not permitted' };

describe('preflight: eBPF refinement rows', () => {
  let host: Facts;
  before(() => { host = gatherFacts(); });
  const rowOf = (f: Facts, name: string) => decideChecks(f).find((r) => r.check === name);
  const withProbes = (p: Partial<Facts['probes']>, mounts?: Partial<Facts['mounts']>): Facts =>
    ({ ...host, probes: { ...host.probes, ...p }, mounts: { ...host.mounts, ...mounts } });

  it('this host: the real tp_btf and iter/task probes pass when a BPF program loads', function () {
    if (!host.probes.bpf?.ok) { console.log('    skipped: no BPF program loads here'); this.skip(); }
    expect(host.probes.tpBtf?.ok).to.equal(true);
    expect(host.probes.iterTask?.ok).to.equal(true);
    expect(rowOf(host, 'events: tp_btf')!.status).to.equal('ok');
    expect(rowOf(host, 'samples: iter/task')!.status).to.equal('ok');
  });

  it('tp_btf failing: with tracefs the events view degrades to classic tracepoints, without it it is off and says how to mount', () => {
    const withTracefs = withProbes({ bpf: { ok: true, errno: 0 }, tpBtf: fail }, { tracefs: '/sys/kernel/tracing' });
    expect(rowOf(withTracefs, 'events: tp_btf')).to.include({ status: 'warn' });
    expect(rowOf(withTracefs, 'events: tp_btf')!.for).to.include('fall back to classic tracepoints');
    expect(decideViews({ ...withTracefs, btf: true }).events).to.equal('degraded');
    const without = withProbes({ bpf: { ok: true, errno: 0 }, tpBtf: fail }, { tracefs: null });
    expect(rowOf(without, 'events: tp_btf')!.fix).to.include('mount -t tracefs nodev /sys/kernel/tracing');
    expect(decideViews({ ...without, btf: true }).events).to.equal('off');
  });

  it('iter/task failing turns the samples view off; the events view is unaffected', () => {
    const f = { ...withProbes({ bpf: { ok: true, errno: 0 }, tpBtf: { ok: true, errno: 0 }, iterTask: fail }), btf: true };
    expect(rowOf(f, 'samples: iter/task')).to.include({ status: 'warn' });
    expect(decideViews(f)).to.include({ samples: 'off', events: 'ok' });
  });

  it('bpf_stats off is a warning with the sysctl that fixes it; on is ok', () => {
    const on = { ...withProbes({ bpf: { ok: true, errno: 0 } }), bpfStats: true };
    const off = { ...on, bpfStats: false };
    expect(rowOf(on, 'bpf_stats')!.status).to.equal('ok');
    expect(rowOf(off, 'bpf_stats')).to.include({ status: 'warn', fix: 'sysctl -w kernel.bpf_stats_enabled=1 (costs ~20 ns per program run)' });
  });

  it('no BPF at all: one eBPF warning, and none of the refinement, tracefs or bpffs rows', () => {
    const f = { ...withProbes({ bpf: eperm, tpBtf: eperm, iterTask: eperm }, { tracefs: null, bpffs: false }), bpfStats: false };
    const names = decideChecks(f).map((r) => r.check);
    for (const n of ['events: tp_btf', 'samples: iter/task', 'bpf_stats', 'tracefs', 'bpffs']) expect(names).to.not.include(n);
    expect(decideChecks(f).filter((r) => r.status !== 'ok' && /eBPF/.test(r.check))).to.have.length(1);
    expect(decideViews(f)).to.include({ events: 'off', samples: 'off' });
  });
});
