// tcplens sample end to end: the CLI's JSON against a known workload, the
// owners map, bad input, and the view unavailable without BPF capabilities.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import { createNetns, deleteNetns } from '../helpers/netns';
import { samplesSkipReason, startSampleWorkload, type SampleWorkloadInfo } from '../helpers/samples';
import { skipIf } from '../helpers/skip';

const BIN = `${__dirname}/../../../bin/tcplens.js`;
const run = (args: string[], wrap?: string[]) => {
  const argv = wrap ? [...wrap, `node ${BIN} ${args.join(' ')}`] : [BIN, ...args];
  return spawnSync(wrap ? 'capsh' : 'node', argv, { encoding: 'utf8', timeout: 30_000 });
};

describe('tcplens sample', function () {
  this.timeout(60_000);
  let ns = '';
  let wl: SampleWorkloadInfo;
  let stopWl: () => Promise<void> = async () => undefined;

  before(async function () {
    const why = samplesSkipReason();
    skipIf(this, why, `${why}`);
    ns = createNetns('smpcli');
    const w = await startSampleWorkload(ns, { recv: 2, idle: true });
    wl = w.info;
    stopWl = w.stop;
  });

  after(async () => {
    await stopWl();
    if (ns) deleteNetns(ns);
  });

  it('-F 20 -i 3 --pid --format ndjson: three samples of the recv threads, named like the poll view', () => {
    const r = run(['sample', '-F', '20', '-i', '3', '--pid', String(wl.pid), '--format', 'ndjson']);
    expect(r.status, r.stderr).to.equal(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const recv = wl.threads.filter((t) => t.role === 'recv');
    expect(new Set(rows.map((x) => x.sample_seq)).size).to.equal(3);
    expect(rows.length).to.equal(3 * recv.length); // active only: the idle and main threads are left out
    for (const x of rows) {
      expect(x.tgid).to.equal(wl.pid);
      expect(x.comm).to.equal('tl-recv');
      expect(x.task_state).to.equal('S');
      for (const k of ['ts_ns', 'pid', 'cgroup_id', 'idiag_cookie', 'idiag_inode', 'netns_inode', 'src', 'sport', 'dst', 'dport']) {
        expect(x, k).to.have.property(k);
      }
      expect(recv.some((t) => t.tid === x.pid && t.sport === x.sport && t.dport === x.dport)).to.equal(true);
    }
  });

  it('--all --format json prints one array per sample with the idle thread', () => {
    const r = run(['sample', '--all', '-i', '1', '--pid', String(wl.pid), '--format', 'json']);
    expect(r.status, r.stderr).to.equal(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows.some((x) => x.comm === 'tl-idle')).to.equal(true);
    expect(rows.some((x) => x.comm === 'tl-sampwl')).to.equal(true);
  });

  it("--owners maps the workload's sockets to its pid; the table has a header and a line per socket", () => {
    const j = run(['sample', '--owners', '--pid', String(wl.pid), '--format', 'json']);
    expect(j.status, j.stderr).to.equal(0);
    const rows = JSON.parse(j.stdout) as Array<Record<string, unknown>>;
    expect(rows.length).to.equal(1 + 2 * 2); // listener + both ends of two connections
    for (const x of rows) expect([x.tgid, x.comm]).to.deep.equal([wl.pid, 'tl-sampwl']);
    const t = run(['sample', '--owners', '--pid', String(wl.pid)]);
    const lines = t.stdout.trim().split('\n');
    expect(lines[0]).to.match(/^INODE\s+COOKIE/);
    expect(lines.length).to.equal(1 + rows.length);
  });

  for (const bad of [
    ['-F', '0'],
    ['-i', '0'],
    ['--pid', 'x'],
    ['--format', 'xml'],
  ]) {
    it(`${bad.join(' ')}: one clear line, non-zero exit`, () => {
      const r = run(['sample', ...bad]);
      expect(r.status).to.not.equal(0);
      expect(r.stdout).to.equal('');
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.match(/^tcplens: /);
    });
  }

  it('without CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN: says why in one line and exits 1', () => {
    const r = run(['sample', '-i', '1'], ['--drop=cap_bpf,cap_perfmon,cap_sys_admin', '--', '-c']);
    expect(r.status).to.equal(1);
    expect(r.stdout).to.equal('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^tcplens: samples view unavailable: .*CAP_BPF/);
  });

  it('bpf() refused by seccomp (as container profiles do): the load failure in one line, exit 1', () => {
    const r = spawnSync('python3', [`${__dirname}/../../../test/helpers/no_bpf.py`, 'node', BIN, 'sample', '-i', '1'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).to.equal(1);
    expect(r.stdout).to.equal('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^tcplens: samples view unavailable: eBPF (open|load): Operation not permitted.*\[EPERM\]$/);
  });

  it('with CAP_BPF + CAP_PERFMON but no CAP_SYS_ADMIN it runs (the iterators need no more on 6.x)', () => {
    const r = run(['sample', '-i', '1', '--pid', String(wl.pid), '--format', 'ndjson'], ['--drop=cap_sys_admin', '--', '-c']);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout.trim().split('\n').length).to.equal(2);
  });
});
