// SampleSource against the real kernel: threads of a known workload inside a
// fresh namespace, their states, syscalls and sockets, cookies that join the
// poll view's, the pid filter, active-only vs --all, and the owners pass.
import { expect } from 'chai';
import { SampleSource } from '../../src/sources/samples';
import { PollSource } from '../../src/sources/poll';
import { parseNetnsSelector } from '../../src/netns/select';
import { sampleToRecord, ownerToRecord, type SampleRecord } from '../../src/format/sample_record';
import { SMF } from '../../src/layout/sample_columns';
import { createNetns, deleteNetns } from '../helpers/netns';
import { samplesSkipReason, startSampleWorkload, type SampleWorkloadInfo } from '../helpers/samples';
import { skipIf } from '../helpers/skip';
import { scaled } from '../helpers/time_scale';

const RECV_THREADS = 3;

async function samples(src: SampleSource): Promise<SampleRecord[]> {
  const rows: SampleRecord[] = [];
  await src.sample((b, ctx) => {
    for (let i = 0; i < b.rows; i++) rows.push(sampleToRecord(b, i, ctx.names));
  });
  return rows;
}

/** Poll rows of one namespace keyed by local:peer port. */
async function pollNs(ns: string): Promise<Map<string, { cookie: string; inode: number; netns: number }>> {
  const p = new PollSource({ netns: parseNetnsSelector(ns) });
  const m = new Map<string, { cookie: string; inode: number; netns: number }>();
  await p.cycle((b) => {
    for (let i = 0; i < b.rows; i++) {
      m.set(`${b.u16('sport')[i]}>${b.u16('dport')[i]}`, {
        cookie: b.u64('idiag_cookie')[i]!.toString(),
        inode: b.u32('idiag_inode')[i]!,
        netns: Number(b.u64('netns_inode')[i]!),
      });
    }
  });
  p.close();
  return m;
}

describe('SampleSource (iter/task, iter/task_file) against a known workload', function () {
  this.timeout(scaled(60_000));
  let ns = '';
  let wl: SampleWorkloadInfo;
  let stopWl: () => Promise<void> = async () => undefined;
  const open: SampleSource[] = [];
  const source = (o: ConstructorParameters<typeof SampleSource>[0]): SampleSource => {
    const s = new SampleSource(o);
    s.start();
    open.push(s);
    return s;
  };

  before(async function () {
    const why = samplesSkipReason();
    skipIf(this, why, `${why}`);
    ns = createNetns('smp');
    const w = await startSampleWorkload(ns, { recv: RECV_THREADS, busy: true, idle: true });
    wl = w.info;
    stopWl = w.stop;
  });

  after(async () => {
    for (const s of open) s.close();
    await stopWl();
    if (ns) deleteNetns(ns);
  });

  const tid = (role: string): number[] => wl.threads.filter((t) => t.role === role).map((t) => t.tid);

  it('threads blocked in recv show tgid, comm, syscall, the socket 4-tuple, and the cookie the poll view reports', async () => {
    const polled = await pollNs(ns); // also makes the kernel generate the cookies
    const rows = await samples(source({ pid: wl.pid }));
    for (const t of wl.threads.filter((x) => x.role === 'recv')) {
      const r = rows.find((x) => x.pid === t.tid);
      expect(r, `recv thread ${t.tid} sampled`).to.not.equal(undefined);
      expect(r!.tgid).to.equal(wl.pid);
      expect(r!.comm).to.equal('tl-recv');
      expect(r!.task_state).to.equal('S');
      if (process.arch === 'x64') expect(r!.syscall).to.equal('recvfrom');
      expect(Number(r!.flags) & SMF.SOCKET).to.equal(SMF.SOCKET);
      expect(r!.src).to.equal('127.0.0.1');
      expect(r!.dst).to.equal('127.0.0.1');
      expect(r!.sport).to.equal(t.sport);
      expect(r!.dport).to.equal(t.dport);
      expect(r!.idiag_state).to.equal(1); // TCP_ESTABLISHED
      const p = polled.get(`${t.sport}>${t.dport}`);
      expect(p, 'the poll view sees the socket').to.not.equal(undefined);
      expect(r!.idiag_cookie).to.equal(p!.cookie);
      expect(r!.idiag_cookie).to.not.equal('0');
      expect(r!.idiag_inode).to.equal(p!.inode);
      expect(r!.netns_inode).to.equal(p!.netns);
    }
    // the "no cookie yet" flag is set exactly when the cookie is 0
    const all = await samples(source({ all: true }));
    for (const r of all.filter((x) => Number(x.flags) & SMF.SOCKET)) {
      expect((Number(r.flags) & SMF.NO_COOKIE) !== 0, JSON.stringify(r)).to.equal(r.idiag_cookie === '0');
    }
  });

  it('a busy thread shows on a CPU or runnable (state R)', async () => {
    const src = source({ pid: wl.pid });
    const [busy] = tid('busy');
    const r = (await samples(src)).find((x) => x.pid === busy);
    expect(r, 'busy thread sampled').to.not.equal(undefined);
    expect(r!.task_state).to.equal('R');
    expect(Number(r!.flags) & (SMF.ON_CPU | SMF.RUNNABLE)).to.not.equal(0);
  });

  it('the pid filter keeps only that process; without it other processes show too', async () => {
    const only = await samples(source({ pid: wl.pid, all: true }));
    expect(only.length).to.be.at.least(RECV_THREADS + 3); // + busy, idle, main
    expect(new Set(only.map((r) => r.tgid))).to.deep.equal(new Set([wl.pid]));
    const every = await samples(source({ all: true }));
    expect(new Set(every.map((r) => r.tgid)).size).to.be.greaterThan(1);
  });

  it('leaves its own process out (its reader is on a CPU in every pass) unless asked for it', async () => {
    const every = await samples(source({ all: true }));
    expect(
      every.some((r) => r.tgid === wl.pid),
      'other processes are sampled',
    ).to.equal(true);
    expect(
      every.some((r) => r.tgid === process.pid),
      'this process is not',
    ).to.equal(false);
    // the reader thread itself, on a CPU during the pass, is what showed before
    const self = await samples(source({ includeSelf: true }));
    expect(
      self.some((r) => r.tgid === process.pid && r.on_cpu),
      'this process on a CPU, when asked for',
    ).to.equal(true);
    const own = await samples(source({ pid: process.pid, all: true }));
    expect(own.length, '--pid naming this process samples it').to.be.at.least(1);
  });

  it("watchNetns: only the namespace's threads, and only its sockets' owners; [] watches every namespace again", async () => {
    const src = source({ all: true });
    const inode = (await pollNs(ns)).values().next().value!.netns;
    expect(src.watchNetns([inode])).to.equal(true);
    const only = await samples(src);
    expect(only.length).to.be.at.least(RECV_THREADS + 3);
    expect(new Set(only.map((r) => r.tgid)), 'threads of the workload only (it alone lives in the namespace)').to.deep.equal(
      new Set([wl.pid]),
    );
    if (src.has('owners')) {
      const owners: number[] = [];
      await src.owners((b) => {
        for (let i = 0; i < b.rows; i++) owners.push(Number(b.u64('netns_inode')[i]!));
      });
      expect(owners.length).to.be.at.least(1);
      expect(new Set(owners)).to.deep.equal(new Set([inode]));
    }
    expect(src.stats()!.tasksSkipped, "the host's other threads, counted").to.be.at.least(1);
    expect(src.watchNetns([])).to.equal(true);
    expect(new Set((await samples(src)).map((r) => r.tgid)).size, 'every namespace again').to.be.greaterThan(1);
  });

  it('active-only leaves out sleeping idle threads that --all includes', async () => {
    const active = await samples(source({ pid: wl.pid }));
    const all = await samples(source({ pid: wl.pid, all: true }));
    const [idle] = tid('idle');
    const has = (rows: typeof all, pid: number | undefined): boolean => rows.some((r) => r.pid === pid);
    expect(has(all, idle), '--all has the idle thread').to.equal(true);
    expect(has(all, wl.pid), '--all has the main thread (reading stdin)').to.equal(true);
    expect(has(active, idle), 'active-only leaves the idle thread out').to.equal(false);
    expect(has(active, wl.pid), 'active-only leaves the main thread out').to.equal(false);
    for (const t of tid('recv')) expect(has(active, t), `recv thread ${t} is active`).to.equal(true);
    // every active row is on a CPU, runnable, in D, or on a TCP socket
    for (const r of active) {
      const f = Number(r.flags);
      expect((f & (SMF.ON_CPU | SMF.RUNNABLE | SMF.SOCKET)) !== 0 || r.task_state === 'D', JSON.stringify(r)).to.equal(true);
    }
  });

  it("owners() maps every socket of the workload to its pid, with the poll view's cookie", async () => {
    const polled = await pollNs(ns);
    const src = source({});
    const owners = new Map<number, SampleRecord>();
    const r = await src.owners((b, ctx) => {
      for (let i = 0; i < b.rows; i++) {
        const o = ownerToRecord(b, i, ctx.names);
        owners.set(Number(o.idiag_inode), o);
      }
    });
    expect(r.rows).to.be.at.least(polled.size);
    expect(polled.size).to.equal(1 + 2 * RECV_THREADS);
    for (const [key, p] of polled) {
      const o = owners.get(p.inode);
      expect(o, `owner of ${key} (inode ${p.inode})`).to.not.equal(undefined);
      expect(o!.tgid).to.equal(wl.pid);
      expect(o!.comm).to.equal('tl-sampwl');
      expect(o!.idiag_cookie).to.equal(p.cookie);
      expect(o!.netns_inode).to.equal(p.netns);
    }
  });

  it('small batches: a pass continues into the next batch, nothing dropped; counters add up', async () => {
    const src = source({ pid: wl.pid, all: true, batchRows: 2 });
    const big = await samples(source({ pid: wl.pid, all: true }));
    let batches = 0;
    const rows: SampleRecord[] = [];
    const res = await src.sample((b, ctx) => {
      batches++;
      for (let i = 0; i < b.rows; i++) rows.push(sampleToRecord(b, i, ctx.names));
    });
    expect(rows.length).to.equal(big.length);
    expect(batches).to.equal(Math.ceil(rows.length / 2));
    expect(res.rows).to.equal(rows.length);
    const st = src.stats()!;
    expect(st.records).to.equal(rows.length);
    expect(st.rows).to.equal(rows.length);
    expect(st.bytes).to.equal(rows.length * 104);
    expect(st.carried).to.be.at.least(1);
    expect(st.dropped + st.malformed + st.readErrors + st.writeErrors).to.equal(0);
    expect(st.tasksEmitted).to.equal(rows.length);
    expect(st.taskPasses).to.equal(1);
    // the pass's thread CPU: once 0 ns in the 5.10 guest (TSC marked unstable,
    // hpet clocksource) starved beside the host suite; more passes add up
    for (let n = 0; src.stats()!.cpuNs === 0 && n < 200; n++) await src.sample(() => {});
    expect(src.stats()!.cpuNs).to.be.greaterThan(0);
  });

  it('close() is idempotent and a closed source refuses to sample', async () => {
    const src = source({ pid: wl.pid });
    src.close();
    src.close();
    let err: Error | null = null;
    try {
      await samples(src);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/not started, or closed/);
  });
});
