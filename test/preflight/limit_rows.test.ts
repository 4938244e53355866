// CAP_SYS_RESOURCE and CAP_SYS_PTRACE rows from this host's facts with the
// capability set, limits and kernel replaced: CAP_SYS_RESOURCE only matters
// when a limit is short (a service manager that sets them makes it
// unnecessary, as tcplens.service does), and CAP_DAC_READ_SEARCH is no stand-in
// for CAP_SYS_PTRACE (the ptrace check guards /proc/PID/ns/net).
import { expect } from 'chai';
import { gatherFacts, type Facts } from '../../src/preflight/facts';
import { decideChecks } from '../../src/preflight/checks';
import { CAP } from '../../src/preflight/caps';

const bit = (n: number): bigint => 1n << BigInt(n);

describe('preflight: limits and the capabilities that raise or bypass them', () => {
  let host: Facts;
  before(() => {
    host = gatherFacts();
  });
  const rowOf = (f: Facts, name: string) => decideChecks(f).find((r) => r.check === name)!;
  const withCaps = (f: Facts, set: bigint): Facts => ({ ...f, capEff: set });
  const withLimits = (f: Facts, nofile: number, memlock: number): Facts => ({
    ...f,
    limits: { nofile: { soft: nofile, hard: nofile }, memlock: { soft: memlock, hard: memlock } },
  });
  const kernel = (f: Facts, major: number, minor: number): Facts => ({
    ...f,
    kernel: { ...f.kernel, major, minor, release: `${major}.${minor}.0` },
  });
  const noResource = (f: Facts): Facts => withCaps(f, f.capEff & ~bit(CAP.SYS_RESOURCE));

  it('missing CAP_SYS_RESOURCE with enough nofile on a 5.11+ kernel: ok, not needed', () => {
    const r = rowOf(kernel(withLimits(noResource(host), 65536, 8 << 20), 6, 1), 'CAP_SYS_RESOURCE');
    expect(r.status).to.equal('ok');
    expect(r.for).to.match(/^missing, not needed: the limits are already enough for tcplens \(nofile hard 65536, memlock hard 8 MiB\)$/);
  });

  it('missing with nofile below 1024: a warning that says how to fix it', () => {
    const r = rowOf(kernel(withLimits(noResource(host), 512, 8 << 20), 6, 1), 'CAP_SYS_RESOURCE');
    expect(r.status).to.equal('warn');
    expect(r.fix).to.include('LimitNOFILE=');
  });

  it('before 5.11 eBPF maps count against memlock: 64 KiB warns, unlimited (LimitMEMLOCK=infinity) does not', () => {
    expect(rowOf(kernel(withLimits(noResource(host), 65536, 64 << 10), 5, 10), 'CAP_SYS_RESOURCE').status).to.equal('warn');
    expect(rowOf(kernel(withLimits(noResource(host), 65536, Infinity), 5, 10), 'CAP_SYS_RESOURCE').status).to.equal('ok');
  });

  it('present: ok whatever the limits', () => {
    const r = rowOf(withLimits(withCaps(host, host.capEff | bit(CAP.SYS_RESOURCE)), 512, 64 << 10), 'CAP_SYS_RESOURCE');
    expect(r).to.include({ status: 'ok', for: 'present: RLIMIT_NOFILE and RLIMIT_MEMLOCK can be raised' });
  });

  it('CAP_SYS_PTRACE missing: the warning and its fix name no CAP_DAC_READ_SEARCH, with or without it', () => {
    for (const dac of [0n, bit(CAP.DAC_READ_SEARCH)]) {
      const f = withCaps(host, (host.capEff & ~bit(CAP.SYS_PTRACE) & ~bit(CAP.DAC_READ_SEARCH)) | dac);
      const r = rowOf(f, 'CAP_SYS_PTRACE');
      expect(r.status).to.equal('warn');
      expect(`${r.for} ${r.fix}`).to.not.include('DAC_READ_SEARCH');
      expect(r.fix).to.equal('grant CAP_SYS_PTRACE, or name namespaces with --netns NAME');
    }
  });
});
