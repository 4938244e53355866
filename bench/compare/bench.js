// bench/compare: runs `tcplens compare` (in process, its views in their own
// processes as always) against a loadgen workload and, at the same time on
// the same namespace, the anchors: `ss -tinmHO` every --ss-interval (CPU of
// each ss process from wait4), and bpftrace counting sock:inet_sock_set_state
// in the kernel. BPF run time per program run comes from the kernel's own
// statistics (kernel.bpf_stats_enabled, restored afterwards). Prints every
// tcplens figure beside its anchor as a ratio; medians over --reps.
'use strict';
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const ROOT = path.resolve(__dirname, '../..');
const { runCompare } = require(path.join(ROOT, 'dist/src/compare/run.js'));
const { parseSpec, formatSpec } = require(path.join(ROOT, 'dist/src/loadgen/spec.js'));

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : def;
};
const smoke = argv.includes('--smoke');
const REPS = Number(opt('--reps', smoke ? 1 : 5));
const SPEC = opt('--spec', smoke ? 'rate=300,flows=300,duration=exp:20ms,bytes=4k' : 'rate=400,flows=4000,duration=exp:20ms,bytes=4k');
const INTERVALS = opt('--intervals', smoke ? '100ms,1s' : '10ms,100ms,1s')
  .split(',')
  .map((s) => (s.endsWith('ms') ? Number(s.slice(0, -2)) : Number(s.replace(/s$/, '')) * 1000));
const SS_MS = Number(opt('--ss-interval', '100'));
// targeted snapshots against the 10 ms poll, on flows that outlive the targeted view's 25 ms gather
const TARGETED_SPEC = opt('--targeted-spec', smoke ? 'rate=200,flows=200,duration=60ms' : 'rate=200,flows=1000,duration=60ms');
const RUSAGE = opt('--rusage');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const a = xs.filter((x) => x !== null && Number.isFinite(x)).sort((x, y) => x - y);
  return a.length ? (a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2) : null;
};
const CLK_TCK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** utime + stime of a live process, µs */
function procCpuUs(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) * CLK_TCK_US;
}

/** ss every SS_MS in the namespace, each run under wait4 rusage. */
function ssLoop(ns) {
  const runs = [];
  let stop = false;
  const done = (async () => {
    while (!stop) {
      const t = Date.now();
      const out = execFileSync(RUSAGE, ['-n', ns, '-o', '/dev/null', '-e', '/dev/null', '--', 'ss', '-tinmHO'], { encoding: 'utf8' });
      runs.push(JSON.parse(out));
      await sleep(Math.max(0, SS_MS - (Date.now() - t)));
    }
  })();
  return {
    runs,
    stop: async () => {
      stop = true;
      await done;
    },
  };
}

/** bpftrace counting the tracepoint in the kernel; resolves once attached. */
async function startBpftrace() {
  const p = spawn('bpftrace', ['-e', 'tracepoint:sock:inet_sock_set_state { @n = count(); }'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => {
    out += d;
  });
  let err = '';
  p.stderr.on('data', (d) => {
    err += d;
  });
  for (let i = 0; i < 200 && !/Attaching/.test(out); i++) {
    if (p.exitCode !== null) throw new Error(`bpftrace exited: ${err.trim()}`);
    await sleep(50);
  }
  const cpu0 = procCpuUs(p.pid);
  return {
    pid: p.pid,
    stop: async () => {
      const cpu = procCpuUs(p.pid) - cpu0;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGINT');
      await exited;
      return { events: Number((/@n: (\d+)/.exec(out) || [])[1] || 0), cpu_us: cpu };
    },
  };
}

/** BPF programs' run counts and times (kernel.bpf_stats_enabled). */
function progStats() {
  const list = JSON.parse(execFileSync('bpftool', ['prog', 'show', '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 }));
  return list.map((p) => ({ id: p.id, name: p.name, run_time_ns: p.run_time_ns || 0, run_cnt: p.run_cnt || 0 }));
}

// The two programs compared, both on inet_sock_set_state: bpftrace's
// (named after the tracepoint, truncated) and the events view's tp_btf one.
// bpftool here cannot say which process owns a program, so a program counts
// when it appeared during this rep: bpftrace's right after we started it,
// ours once the events worker attached.
const PROG_NAMES = { bpftrace: 'inet_sock_set_s', tcplens: 'btf_set_state' };

/** Samples the BPF stats of the two programs while the run lasts. */
function bpfWatch(bpftraceIds, before) {
  const last = new Map();
  const first = new Map();
  let stop = false;
  const done = (async () => {
    while (!stop) {
      for (const p of progStats()) {
        const owner = bpftraceIds.has(p.id) ? 'bpftrace' : !before.has(p.id) && p.name === PROG_NAMES.tcplens ? 'tcplens' : null;
        if (!owner) continue;
        if (!first.has(p.id)) first.set(p.id, { ...p, owner });
        last.set(p.id, { ...p, owner });
      }
      await sleep(300);
    }
  })();
  return {
    stop: async () => {
      stop = true;
      await done;
      const per = {};
      for (const [id, l] of last) {
        const f = first.get(id);
        const o = (per[l.owner] ||= { run_time_ns: 0, run_cnt: 0, programs: 0 });
        o.run_time_ns += l.run_time_ns - f.run_time_ns;
        o.run_cnt += l.run_cnt - f.run_cnt;
        o.programs++;
      }
      return per;
    },
  };
}

async function rep(i) {
  const ns = `tlcmpbench-${process.pid}-${i}`;
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  try {
    const before = new Set(progStats().map((p) => p.id));
    const bt = await startBpftrace();
    const bpftraceIds = new Set(
      progStats()
        .filter((p) => !before.has(p.id) && p.name === PROG_NAMES.bpftrace)
        .map((p) => p.id),
    );
    for (const id of bpftraceIds) before.add(id);
    const watch = bpfWatch(bpftraceIds, before);
    const ss = ssLoop(ns);
    const spec = parseSpec(SPEC);
    spec.seed = spec.seed + i; // each rep its own schedule, the same across runs
    const r = await runCompare({
      durationMs: 600_000,
      intervalsMs: INTERVALS,
      predictMs: [],
      loadgen: spec,
      netns: ns,
      views: ['poll', 'destroy', 'events', 'samples'],
      sampleIntervalMs: 10,
      seed: i + 1,
    });
    await ss.stop();
    const bpf = await watch.stop();
    const b = await bt.stop();
    return { r, ss: ss.runs, bpf, bpftrace: b };
  } finally {
    try {
      execFileSync('ip', ['netns', 'delete', ns]);
    } catch {
      /* gone */
    }
  }
}

/** Targeted snapshots and the 10 ms poll, side by side on one workload. */
async function targetedRep(i) {
  const ns = `tlcmptgt-${process.pid}-${i}`;
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  try {
    const spec = parseSpec(TARGETED_SPEC);
    spec.seed = spec.seed + i;
    const r = await runCompare({
      durationMs: 600_000,
      intervalsMs: [10],
      predictMs: [],
      loadgen: spec,
      netns: ns,
      views: ['poll', 'targeted'],
      sampleIntervalMs: 10,
      seed: i + 1,
    });
    const t = r.views.find((x) => x.view === 'targeted'),
      p = r.views.find((x) => x.view === 'poll');
    if (!t?.available) return { unavailable: t?.reason ?? 'no targeted view' };
    const proc = (x) => (x.cpu_pct / 100) * x.window_ms * 1000; // the whole process over the run, µs
    return { t, p, ratio: t.cpu_us / p.cpu_us, procRatio: proc(t) / proc(p) };
  } finally {
    try {
      execFileSync('ip', ['netns', 'delete', ns]);
    } catch {
      /* gone */
    }
  }
}

function fmt(x, d = 1) {
  return x === null || x === undefined ? '-' : x.toFixed(d);
}

async function main() {
  let statsWas = null;
  try {
    statsWas = fs.readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim();
    fs.writeFileSync('/proc/sys/kernel/bpf_stats_enabled', '1');
  } catch {
    statsWas = null;
  }
  const reps = [];
  const tgt = [];
  try {
    for (let i = 0; i < REPS; i++) reps.push(await rep(i));
    for (let i = 0; i < REPS; i++) tgt.push(await targetedRep(i));
  } finally {
    if (statsWas !== null) fs.writeFileSync('/proc/sys/kernel/bpf_stats_enabled', statsWas);
  }
  const v = (rr, name, iv = null) => rr.r.views.find((x) => x.view === name && x.interval_ms === iv);
  const ssPoll = median(reps.map((rr) => median(rr.ss.map((s) => s.user_us + s.sys_us))));
  const ssUser = median(reps.map((rr) => median(rr.ss.map((s) => s.user_us))));
  const ssSys = median(reps.map((rr) => median(rr.ss.map((s) => s.sys_us))));
  const flows = reps[0].r.flows_total;
  const lines = [];
  lines.push(
    `tcplens compare benchmark: ${formatSpec(parseSpec(SPEC))} (${flows} flows), ${REPS} rep(s), medians; anchors measured in the same run on the same namespace`,
  );
  lines.push(
    `ss -tinmHO every ${SS_MS} ms: ${fmt(ssPoll, 0)} us/poll (user ${fmt(ssUser, 0)}, sys ${fmt(ssSys, 0)}), ${median(reps.map((rr) => rr.ss.length))} polls per rep`,
  );
  lines.push('');
  lines.push(['view', 'coverage', 'tcplens cost', 'anchor', 'anchor/tcplens'].join(' | '));
  for (const P of INTERVALS) {
    const us = median(reps.map((rr) => v(rr, 'poll', P)?.cpu_us_per_tick ?? null));
    const cov = median(reps.map((rr) => v(rr, 'poll', P)?.coverage ?? null));
    lines.push(`poll ${P} ms | ${fmt(cov * 100, 2)}% | ${fmt(us, 0)} us/poll | ss ${fmt(ssPoll, 0)} us/poll | ${fmt(ssPoll / us, 2)}x`);
  }
  const dUs = median(reps.map((rr) => v(rr, 'destroy')?.cpu_us_per_row ?? null));
  lines.push(
    `destroy | ${fmt(median(reps.map((rr) => v(rr, 'destroy')?.coverage)) * 100, 2)}% | ${fmt(dUs, 2)} us/close (user space) | - | -`,
  );
  const ev = reps.map((rr) => v(rr, 'events')).filter((x) => x && x.available);
  if (ev.length) {
    const user = median(ev.map((x) => x.cpu_us_per_row));
    const kern = median(
      reps.map((rr) => (rr.bpf.tcplens && rr.bpf.tcplens.run_cnt ? rr.bpf.tcplens.run_time_ns / rr.bpf.tcplens.run_cnt / 1000 : null)),
    );
    const btK = median(
      reps.map((rr) => (rr.bpf.bpftrace && rr.bpf.bpftrace.run_cnt ? rr.bpf.bpftrace.run_time_ns / rr.bpf.bpftrace.run_cnt / 1000 : null)),
    );
    const btUser = median(reps.map((rr) => (rr.bpftrace.events ? rr.bpftrace.cpu_us / rr.bpftrace.events : null)));
    lines.push(
      `events | ${fmt(median(ev.map((x) => x.coverage)) * 100, 2)}% | ${fmt(user, 2)} us/event user + ${fmt(kern, 3)} us/run kernel | bpftrace count ${fmt(btK, 3)} us/run kernel + ${fmt(btUser, 3)} us/event process | kernel ${fmt(btK / kern, 2)}x, total ${fmt((btK + btUser) / (user + kern), 2)}x`,
    );
    lines.push(
      `bpftrace counted ${median(reps.map((rr) => rr.bpftrace.events))} state changes per rep (host-wide); tcplens events rows per rep ${median(ev.map((x) => x.rows))} (this namespace)`,
    );
  } else {
    lines.push(`events | not measured: ${reps[0] && v(reps[0], 'events')?.reason}`);
  }
  const sm = reps.map((rr) => v(rr, 'samples', 10)).filter((x) => x && x.available);
  lines.push(
    sm.length
      ? `samples 10 ms | ${fmt(median(sm.map((x) => x.coverage)) * 100, 2)}% | ${fmt(median(sm.map((x) => x.cpu_us_per_tick)), 0)} us/pass | - | -`
      : `samples | not measured: ${reps[0] && v(reps[0], 'samples', 10)?.reason}`,
  );
  const tg = tgt.filter((x) => !x.unavailable);
  if (tg.length) {
    const m = (f, d) => fmt(median(tg.map(f)), d);
    lines.push(
      `targeted (${TARGETED_SPEC}) | ${m((x) => x.t.coverage * 100, 2)}% | ${m((x) => x.t.cpu_us / 1000, 1)} ms CPU (its reader thread ${m((x) => x.t.cpu_reader_us / 1000, 1)} ms) | poll 10 ms ${m((x) => x.p.coverage * 100, 2)}%, ${m((x) => x.p.cpu_us / 1000, 1)} ms | ${m((x) => x.ratio, 3)}x (whole processes ${m((x) => x.procRatio, 3)}x; per rep ${tg.map((x) => x.ratio.toFixed(3)).join(', ')})`,
    );
  } else {
    lines.push(`targeted | not measured: ${tgt[0]?.unavailable ?? 'no reps'}`);
  }
  lines.push('');
  lines.push(
    'cpu % of one core over the run (each view its own process): ' +
      reps[0].r.views
        .filter((x) => x.available)
        .map(
          (x) =>
            `${x.view}${x.interval_ms ? ` ${x.interval_ms}ms` : ''} ${fmt(median(reps.map((rr) => rr.r.views.find((y) => y.view === x.view && y.interval_ms === x.interval_ms)?.cpu_pct)), 2)}`,
        )
        .join(', '),
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((e) => {
  process.stderr.write(`bench/compare: ${e.stack || e.message}\n`);
  process.exit(1);
});
