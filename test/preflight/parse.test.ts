// The fact readers against this machine's own /proc, cross-checked with other
// tools, plus the 64-bit edge of the capability mask.
import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import { CAP, hasCap, missingCaps, parseCapEff, readCapEff } from '../../src/preflight/caps';
import { parseRelease, atLeast } from '../../src/preflight/kernel';
import { formatBytes, parseLimits, readLimits } from '../../src/preflight/limits';
import { parseMounts, readMounts } from '../../src/preflight/mounts';

describe('preflight fact readers', () => {
  it('reads all 64 bits of CapEff (CAP_BPF is bit 39)', () => {
    const set = parseCapEff('CapInh:\t0000000000000000\nCapEff:\t000000c000000000\n');
    expect(set).to.equal(0xc000000000n);
    expect(hasCap(set!, CAP.BPF)).to.equal(true);
    expect(hasCap(set!, CAP.PERFMON)).to.equal(true);
    expect(hasCap(set!, CAP.NET_ADMIN)).to.equal(false);
    expect(missingCaps(set!, ['BPF', 'PERFMON', 'SYS_ADMIN'])).to.deep.equal(['CAP_SYS_ADMIN']);
    expect(parseCapEff('no caps here')).to.equal(null);
  });

  it('agrees with capsh --decode on this process', () => {
    const set = readCapEff();
    const decoded = execFileSync('capsh', [`--decode=${set.toString(16).padStart(16, '0')}`], { encoding: 'utf8' });
    for (const [name, bitNo] of Object.entries(CAP)) {
      expect(decoded.includes(`cap_${name.toLowerCase()}`), name).to.equal(hasCap(set, bitNo));
    }
  });

  it('reads RLIMIT_NOFILE and RLIMIT_MEMLOCK like the shell does', () => {
    const l = readLimits();
    const sh = (flag: string): number => {
      const v = execFileSync('sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).trim();
      return v === 'unlimited' ? Infinity : Number(v);
    };
    expect(l.nofile!.soft).to.equal(sh('-n'));
    expect(l.memlock!.soft).to.equal(sh('-l') * 1024); // ulimit -l is in KiB
    expect(
      parseLimits('Max locked memory         unlimited            unlimited            bytes\n').get('Max locked memory'),
    ).to.deep.equal({ soft: Infinity, hard: Infinity });
    expect(formatBytes(8388608)).to.equal('8 MiB');
  });

  it('finds tracefs and bpffs exactly when /proc/mounts lists them', () => {
    const m = readMounts();
    const text = fs.readFileSync('/proc/mounts', 'utf8');
    expect(m.bpffs).to.equal(/ \/sys\/fs\/bpf bpf /.test(text));
    expect(m.tracefs !== null).to.equal(/ \/sys\/kernel(\/debug)?\/tracing tracefs /.test(text));
    const parsed = parseMounts('nodev /sys/kernel/my\\040dir tracefs rw 0 0\n');
    expect(parsed[0]!.target).to.equal('/sys/kernel/my dir');
  });

  it('parses the running kernel release', () => {
    const k = parseRelease(os.release());
    expect(k.major).to.be.greaterThan(2);
    expect(atLeast(parseRelease('5.10.0-27-amd64'), 5, 11)).to.equal(false);
    expect(atLeast(parseRelease('6.1.0'), 5, 11)).to.equal(true);
  });
});
