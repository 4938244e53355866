// Least privilege after start, for real: `tcplens run` (poll, destroy,
// events) drops to the capabilities its views still use once they are open,
// in every thread (/proc/PID/task/*/status), optionally as another user, and
// still polls and writes: a namespace created after the drop is polled
// (setns with the kept CAP_SYS_ADMIN) and its poll_cycles rows are written.
import { expect } from 'chai';
import * as fs from 'fs';
import { execFileSync } from 'child_process';
import { createNetns, deleteNetns, isRoot } from '../helpers/netns';
import { flags } from '../helpers/cli_flags';
import { collectStdout, killRuns, runCli, startRun, type RunProc } from '../helpers/run_proc';
import { skipIf } from '../helpers/skip';
import { readCapEff } from '../../src/preflight/caps';
import { haveClickHouse, rows, startTestServer } from '../helpers/clickhouse';
import { scaled } from '../helpers/time_scale';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const bit = (n: number): bigint => 1n << BigInt(n);
const NET_ADMIN = bit(12),
  SYS_PTRACE = bit(19),
  SYS_ADMIN = bit(21),
  PERFMON = bit(38),
  BPF = bit(39);

interface Task {
  tid: string;
  eff: bigint;
  bnd: bigint;
  uid: string;
}
function tasks(pid: number): Task[] {
  return fs.readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
    let s = '';
    try {
      s = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
    } catch {
      return []; // exited meanwhile
    }
    const f = (k: string): string => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(s)?.[1] ?? '';
    return [{ tid, eff: BigInt(`0x${f('CapEff')}`), bnd: BigInt(`0x${f('CapBnd')}`), uid: f('Uid').split(/\s+/).join(' ') }];
  });
}

describe('tcplens run: least privilege after start', function () {
  this.timeout(scaled(180_000));
  let ns = '';
  let late = ''; // a namespace made after the drop, beside ns
  const start = readCapEff();

  before(function () {
    skipIf(
      this,
      !isRoot() || (start & (SYS_ADMIN | NET_ADMIN)) !== (SYS_ADMIN | NET_ADMIN),
      'needs root with CAP_SYS_ADMIN and CAP_NET_ADMIN',
    );
  });
  afterEach(() => {
    killRuns();
    for (const n of [ns, late]) if (n) deleteNetns(n);
    ns = late = '';
  });

  function run(extra: string[]): { r: RunProc; out: () => string } {
    const r = startRun(['--sink', 'stdout', '--interval', '500ms', '--listen', '127.0.0.1:0', '--views', 'poll,destroy,events', ...extra]);
    return { r, out: collectStdout(r.proc) };
  }

  /** poll_cycles rows of the namespace with inode `ino` (stdout is flushed at exit: read after it) */
  const cyclesOf = (out: string, ino: number): Array<Record<string, unknown>> =>
    out
      .split('\n')
      .filter((l) => l.includes('"poll_cycles"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((x) => x['table'] === 'poll_cycles' && Number(x['netns_inode']) === ino);

  /** `ns` deleted and made again under its name: a new namespace, whose
   * polling needs a setns() after the drop. Its inode. (--netns names it, so
   * the run does not walk the other engineers' hundred namespaces.) */
  function remake(): number {
    deleteNetns(ns);
    execFileSync('ip', ['netns', 'add', ns]);
    return fs.statSync(`/run/netns/${ns}`).ino;
  }

  it('other namespaces: CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SYS_PTRACE kept in every thread, the rest gone; a namespace made again after the drop is polled', async () => {
    ns = createNetns('priv');
    const { r, out } = run(['--netns', `host,${ns}`]);
    const before = tasks(r.proc.pid!);
    const l = await r.waitFor('run.privileges', 90_000);
    const want = (SYS_ADMIN | NET_ADMIN | SYS_PTRACE) & start;
    expect(l['kept']).to.deep.equal(
      ['CAP_NET_ADMIN', 'CAP_SYS_ADMIN', 'CAP_SYS_PTRACE'].filter((c) => c !== 'CAP_SYS_PTRACE' || start & SYS_PTRACE),
    );
    const ts = tasks(r.proc.pid!);
    const main = ts.find((t) => t.tid === String(r.proc.pid))!;
    console.log(`      CapEff before ${before[0]!.eff.toString(16)} -> after ${main.eff.toString(16)}; ${ts.length} threads`);
    expect(before[0]!.eff).to.equal(start);
    expect(main.eff).to.equal(want);
    expect(main.bnd).to.equal(want);
    // every thread but Node's SIGUSR1 watcher (it blocks every signal; the log says so)
    const wider = ts.filter((t) => (t.eff & ~want) !== 0n);
    expect(wider.length, JSON.stringify(wider.map((t) => t.tid))).to.be.at.most(1);
    await sleep(300);
    const warn = r.logs.find((x) => x['key'] === 'run.privileges' && x['level'] === 'warn');
    if (wider.length) expect(warn?.['tid']).to.equal(Number(wider[0]!.tid));
    const ino = remake();
    await sleep(3000);
    r.proc.kill('SIGTERM');
    expect(await r.exited).to.equal(0);
    const polled = cyclesOf(out(), ino);
    expect(polled.length, `poll_cycles rows of ${ns}, made again after the drop`).to.be.at.least(2);
    expect(polled.every((x) => Number(x['errors']) === 0 && Number(x['errno']) === 0)).to.equal(true);
    expect(r.logs.filter((x) => x['level'] === 'error')).to.deep.equal([]);
  });

  it('--user nobody, into ClickHouse: every thread runs as nobody with the kept set (the watcher with none); the spool is handed over; a new namespace is polled and stored', async function () {
    if (!haveClickHouse()) this.skip(); // bootstrap.sh installs it
    const ch = await startTestServer();
    const spool = fs.mkdtempSync('/tmp/tlpriv-');
    ns = createNetns('priv');
    try {
      const db = ch.freshDb('priv');
      const r = startRun(
        flags({
          clickhouseUrl: ch.url,
          database: db,
          netns: 'all',
          user: 'nobody',
          spoolDir: spool,
          interval: '500ms',
          listen: '127.0.0.1:0',
          views: 'poll,destroy,events',
        }),
        {},
      );
      r.proc.stdout!.resume();
      await r.waitFor('run.privileges', 90_000);
      const want = (SYS_ADMIN | NET_ADMIN | SYS_PTRACE) & start;
      const ts = tasks(r.proc.pid!);
      expect(ts.filter((t) => t.uid !== '65534 65534 65534 65534').map((t) => t.tid)).to.deep.equal([]);
      expect(ts.filter((t) => t.eff !== want && t.eff !== 0n).map((t) => t.tid)).to.deep.equal([]);
      expect(ts.find((t) => t.tid === String(r.proc.pid))!.eff).to.equal(want);
      await sleep(300);
      expect(r.logs.some((x) => x['key'] === 'run.privileges' && x['level'] === 'warn')).to.equal(false);
      for (const f of ['', '/writer_id']) expect(fs.statSync(spool + f).uid, `owner of ${spool}${f}`).to.equal(65534);
      late = createNetns('priv');
      const count = async (): Promise<number> =>
        Number(
          (
            await rows<{ n: string }>(ch.client, `SELECT count() AS n FROM ${db}.poll_cycles WHERE netns_name = '${late}' AND errors = 0`)
          )[0]?.n ?? 0,
        );
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && (await count()) < 2) await sleep(500);
      expect(await count(), `poll_cycles rows of ${late}, made after the switch, in ClickHouse`).to.be.at.least(2);
      r.proc.kill('SIGTERM');
      expect(await r.exited).to.equal(0);
      expect(r.logs.filter((x) => x['level'] === 'error')).to.deep.equal([]);
    } finally {
      await ch.cleanup();
      fs.rmSync(spool, { recursive: true, force: true });
    }
  });

  it('--netns host: no setns, so CAP_BPF and CAP_PERFMON instead of CAP_SYS_ADMIN (the events view still reads its ring); polls go on', async () => {
    const { r, out } = run(['--netns', 'host']);
    const l = await r.waitFor('run.privileges', 90_000);
    const events = (l['kept'] as string[]).includes('CAP_BPF');
    const main = tasks(r.proc.pid!).find((t) => t.tid === String(r.proc.pid))!;
    expect(main.eff).to.equal((NET_ADMIN | (events ? BPF | PERFMON : 0n)) & start);
    await sleep(3000);
    r.proc.kill('SIGTERM');
    expect(await r.exited).to.equal(0);
    const own = fs.statSync('/proc/self/ns/net').ino;
    expect(cyclesOf(out(), own).filter((x) => Number(x['errors']) === 0).length, 'cycles after the drop').to.be.at.least(3);
  });

  it("a service as its own user with ambient capabilities (the systemd unit's way, no CAP_SETPCAP) drops to what it keeps", async () => {
    const caps = '-all,+sys_admin,+net_admin,+sys_ptrace';
    const wrap = [
      'setpriv',
      '--reuid=nobody',
      '--regid=nogroup',
      '--clear-groups',
      `--inh-caps=${caps}`,
      `--ambient-caps=${caps}`,
      `--bounding-set=${caps}`,
    ];
    const r = startRun(
      ['--sink', 'stdout', '--interval', '500ms', '--listen', '127.0.0.1:0', '--views', 'poll', '--netns', 'host'],
      {},
      wrap,
    );
    const out = collectStdout(r.proc);
    const l = await r.waitFor('run.privileges', 90_000);
    expect(l['kept']).to.deep.equal(['CAP_NET_ADMIN']);
    const ts = tasks(r.proc.pid!);
    expect(ts.find((t) => t.tid === String(r.proc.pid))!.eff).to.equal(NET_ADMIN);
    expect(ts.filter((t) => (t.eff & ~NET_ADMIN) !== 0n).length).to.be.at.most(1);
    await sleep(2000);
    r.proc.kill('SIGTERM');
    expect(await r.exited).to.equal(0);
    expect(cyclesOf(out(), fs.statSync('/proc/self/ns/net').ino).length).to.be.at.least(2);
  });

  it('--no-drop-caps keeps the start set; --user with it, or an unknown user, is one usage line', async () => {
    const { r } = run(['--netns', 'host', '--no-drop-caps']);
    await r.waitFor('run.started', 90_000);
    expect(tasks(r.proc.pid!)[0]!.eff).to.equal(start);
    expect(r.logs.some((x) => x['key'] === 'run.privileges')).to.equal(false);
    r.proc.kill('SIGTERM');
    await r.exited;
    for (const [args, re] of [
      [['--user', 'nobody', '--no-drop-caps'], /--user: .*not with --no-drop-caps/],
      [['--user', 'no-such-user-tl'], /--user: no such user "no-such-user-tl"/],
    ] as const) {
      const c = await runCli(['run', '--sink', 'stdout', '--duration', '1s', ...args]);
      expect(c.code, c.stderr).to.equal(2);
      expect(c.stderr.trim().split('\n')).to.have.length(1);
      expect(c.stderr).to.match(re);
    }
  });
});
