// Preflight's verdict is a promise about what `tcplens run` starts. Each
// failure is forced for real (capabilities dropped by capsh, programs the
// verifier refuses through TCPLENS_TEST_REFUSE, tracefs and bpffs unmounted in
// a private mount namespace, netlink refused by seccomp), then preflight's
// views and parts are compared with what a run of the same host started: its
// start log, its per-part warnings and tcplens_view_part_up.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as path from 'path';
import type { PreflightReport } from '../../src/preflight';
import { partDefs } from '../../src/sources/parts';
import { hasCapsh, parseReport, ROOT, BIN } from './run';
import { createNetns, deleteNetns, isRoot } from '../helpers/netns';
import { killRuns, startRun } from '../helpers/run_proc';
import { skipIf } from '../helpers/skip';
import { dropCaps, inMountNs } from '../helpers/wrap';
import { scaled } from '../helpers/time_scale';

const NO_NETLINK = path.join(ROOT, 'test/preflight/no_netlink.py');
const TRACEFS = '/sys/kernel/tracing';

interface Scenario {
  name: string;
  /** the command line before `node ...` */
  wrap: string[];
  env?: NodeJS.ProcessEnv;
  /** what must hold of the preflight report, beyond run agreeing with it */
  expect(r: PreflightReport): void;
  /** what is forced behaves the same on every kernel: the kernel matrix's guests leave it to the host's suite */
  everyKernel?: true;
}

// The kernel matrix's guests (scripts/kernels/guest-run.js) run the cases whose
// outcome depends on the kernel: what loads, what the capabilities allow.
// The others (a mount missing, a seccomp filter, setns without CAP_SYS_ADMIN)
// are user space and the same syscalls on every kernel; under TCG each case
// costs ~25 s of node start-up, so they run once, on the host.
const IN_MATRIX = process.env['TCPLENS_TEST_KERNEL_MATRIX'] === '1';
const SAME_EVERYWHERE = 'the same on every kernel: the host suite runs it';

const UMOUNT_TRACEFS = `(umount ${TRACEFS}; umount /sys/kernel/debug; true) 2>/dev/null`;
const part = (r: PreflightReport, view: 'events' | 'samples', name: string) => r.parts[view].find((p) => p.part === name)!;
const allStateVariantsBut = (keep: string): string =>
  partDefs('events')
    .find((d) => d.part === 'state')!
    .variants.map((v) => v.program)
    .filter((p) => p !== keep)
    .join(',');

const SCENARIOS: Scenario[] = [
  {
    name: 'nothing forced',
    wrap: [],
    expect: (r) => expect(r.views.poll).to.not.equal('off'),
  },
  {
    name: 'CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN dropped',
    wrap: dropCaps('cap_bpf,cap_perfmon,cap_sys_admin'),
    expect: (r) => {
      expect(r.views).to.include({ events: 'off', samples: 'off' });
      for (const p of [...r.parts.events, ...r.parts.samples]) expect(p.why).to.match(/not permitted|CAP_BPF/);
    },
  },
  {
    name: 'programs refused by the verifier (every variant of owners and of retransmit)',
    wrap: [],
    env: { TCPLENS_TEST_REFUSE: 'owners,retransmit' },
    expect: (r) => {
      expect(r.views).to.include({ events: 'degraded', samples: 'degraded' });
      expect(part(r, 'samples', 'owners').up).to.equal(false);
      expect(part(r, 'samples', 'tasks').up).to.equal(true);
      expect(part(r, 'events', 'retransmit').why).to.match(/refused \(Permission denied\): .*ctx/);
      expect(part(r, 'events', 'state').up).to.equal(true);
    },
  },
  {
    name: 'tp_btf refused for state changes and tracefs not mounted: the state part is off',
    wrap: inMountNs(UMOUNT_TRACEFS),
    env: { TCPLENS_TEST_REFUSE: allStateVariantsBut('tp_set_state') },
    everyKernel: true,
    expect: (r) => {
      expect(part(r, 'events', 'state').up).to.equal(false);
      expect(part(r, 'events', 'state').why).to.include('tp_set_state: attach failed');
      expect(r.checks.find((c) => c.check === 'events: state')!.fix).to.include('mount -t tracefs');
      expect(r.views.events).to.equal('degraded');
    },
  },
  {
    name: 'tp_btf refused for state changes, tracefs mounted: the state part runs on the classic tracepoint',
    wrap: inMountNs(`${UMOUNT_TRACEFS}; mount -t tracefs nodev ${TRACEFS}`),
    env: { TCPLENS_TEST_REFUSE: allStateVariantsBut('tp_set_state') },
    expect: (r) => {
      expect(part(r, 'events', 'state')).to.include({ up: true, program: 'tp_set_state' });
      expect(r.views.events).to.equal('degraded');
    },
  },
  {
    name: 'bpffs not mounted (only pinning needs it)',
    wrap: inMountNs('(umount /sys/fs/bpf; true) 2>/dev/null'),
    everyKernel: true,
    expect: (r) => expect(r.checks.find((c) => c.check === 'bpffs')!.status).to.equal('warn'),
  },
];

/** `tcplens run` under the scenario until it says what it started; then its metrics, and a stop. */
async function runStarted(s: Scenario): Promise<{ started: Record<string, unknown>; warns: string[]; metrics: string }> {
  const r = startRun(['--sink', 'stdout', '--netns', 'host', '--interval', '5s', '--listen', '127.0.0.1:0'], s.env ?? {}, s.wrap);
  const started = await r.waitFor('run.started', 60_000);
  const metrics = await (await fetch(`${String(started['listen'])}/metrics`)).text();
  r.proc.kill('SIGTERM');
  await r.exited;
  const warns = r.logs.filter((l) => String(l['key']).startsWith('view.part.') && l['level'] === 'warn').map((l) => String(l['key']));
  return { started, warns, metrics };
}

describe('preflight verdicts equal what `tcplens run` starts, under every forced failure', function () {
  this.timeout(scaled(180_000));
  before(function () {
    skipIf(this, !isRoot(), 'needs root (capabilities, mount namespaces, eBPF)');
    skipIf(this, !hasCapsh(), 'capsh (libcap2-bin) not installed');
  });
  afterEach(() => killRuns());

  for (const s of SCENARIOS) {
    it(s.name, async function () {
      skipIf(this, IN_MATRIX && s.everyKernel === true, SAME_EVERYWHERE);
      const pre = spawnSync(
        s.wrap[0] ?? process.execPath,
        [...s.wrap.slice(1), ...(s.wrap.length ? [process.execPath] : []), BIN, 'preflight', '--json'],
        { encoding: 'utf8', env: { ...process.env, ...s.env } },
      );
      const report = parseReport({ status: pre.status, stdout: pre.stdout, stderr: pre.stderr });
      s.expect(report);
      const run = await runStarted(s);
      const views = run.started['views'] as string[];
      const parts = run.started['parts'] as Record<'events' | 'samples', Record<string, string>>;
      // the views: started exactly when preflight did not say "off"
      expect(views.includes('poll')).to.equal(report.views.poll !== 'off');
      expect(views.includes('events'), 'events').to.equal(report.views.events !== 'off');
      expect(views.includes('samples') || views.includes('owners'), 'samples').to.equal(report.views.samples !== 'off');
      // the parts: the same variant, or off, in the log and in the metric
      for (const view of ['events', 'samples'] as const) {
        for (const p of report.parts[view]) {
          expect(parts[view][p.part], `${view} ${p.part}`).to.equal(p.up ? p.program : 'off');
          const m = new RegExp(
            `^tcplens_view_part_up\\{view="${view}",part="${p.part}",program="${p.up ? p.program : ''}"\\} ${p.up ? 1 : 0}$`,
            'm',
          );
          expect(run.metrics, `${view} ${p.part} metric`).to.match(m);
          if (!p.up && report.views[view] !== 'off')
            expect(run.warns, `a warning for ${view} ${p.part}`).to.include(`view.part.${view}.${p.part}`);
        }
      }
      expect(views.includes('owners')).to.equal(report.parts.samples.some((p) => p.part === 'owners' && p.up));
    });
  }

  it('CAP_SYS_ADMIN dropped: preflight says "own namespace", and run --netns all watches just that one', async function () {
    skipIf(this, IN_MATRIX, SAME_EVERYWHERE);
    const other = createNetns('vown');
    try {
      const wrap = dropCaps('cap_sys_admin');
      const pre = spawnSync(wrap[0]!, [...wrap.slice(1), process.execPath, BIN, 'preflight', '--json'], { encoding: 'utf8' });
      expect(parseReport({ status: pre.status, stdout: pre.stdout, stderr: pre.stderr }).views.netns).to.equal('own');
      const r = startRun(
        ['--sink', 'stdout', '--netns', 'all', '--interval', '500ms', '--views', 'poll', '--listen', '127.0.0.1:0'],
        {},
        wrap,
      );
      let out = '';
      r.proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const started = await r.waitFor('run.started', 60_000);
      await new Promise((res) => setTimeout(res, 1500));
      r.proc.kill('SIGTERM');
      expect(await r.exited).to.equal(0);
      expect(started['netns']).to.equal('host (other namespaces out of reach)');
      const cycles = out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((x) => x['table'] === 'poll_cycles');
      expect(cycles.length).to.be.at.least(2);
      expect(new Set(cycles.map((c) => c['netns_name']))).to.deep.equal(new Set(['host']));
      expect(r.logs.filter((l) => /^(poll\.failed|netns\.open)/.test(String(l['key'])))).to.deep.equal([]);
    } finally {
      deleteNetns(other);
    }
  });

  it('inet_diag refused (seccomp on netlink): preflight fatal, and run refuses to start', function () {
    skipIf(this, IN_MATRIX, SAME_EVERYWHERE);
    const pre = spawnSync('python3', [NO_NETLINK, process.execPath, BIN, 'preflight', '--json'], { encoding: 'utf8' });
    expect(pre.status).to.equal(1);
    expect(parseReport({ status: pre.status, stdout: pre.stdout, stderr: pre.stderr }).views.poll).to.equal('off');
    const run = spawnSync(
      'python3',
      [NO_NETLINK, process.execPath, BIN, 'run', '--sink', 'stdout', '--netns', 'host', '--duration', '1s', '--listen', '127.0.0.1:0'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.status).to.equal(1);
    expect(run.stderr).to.include('inet_diag dump').and.not.include('"run.started"');
  });
});
