#!/usr/bin/env node
// Turns run.sh's runs.jsonl into the result table: medians per command,
// the steady-state cycle of a repeatedly polling tcplens (sidecar),
// every figure beside its anchor as a ratio, and the two goals.
//   node report.js RUNS.jsonl BUILT ESTABLISHED FARMS V6PCT
'use strict';
const fs = require('fs');
const { median } = require('../lib.js');

const [file, built, est, farms, v6, loadFile] = process.argv.slice(2);
// /proc/loadavg's first three figures at the start and the end of the run (run.sh)
const loadavg = (() => {
  try {
    const [start, end] = fs.readFileSync(loadFile, 'utf8').trim().split('\n');
    return { start, end: end ?? '-' };
  } catch {
    return null;
  }
})();
const runs = fs
  .readFileSync(file, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));
const measured = runs.filter((r) => r.rep > 0);

const pick = (cmd, ns) => measured.filter((r) => r.cmd === cmd && r.ns === ns);
const failed = measured.filter((r) => r.ru.exit !== 0);

// The floor's message count of the same rep is the denominator for every command.
const floorCount = new Map(
  pick('floor', 'full')
    .filter((r) => r.ru.exit === 0)
    .map((r) => [r.rep, JSON.parse(r.out).sockets]),
);
const socketsOf = (r) => floorCount.get(r.rep);

// tcplens' summary line, e.g. "polled N sockets in 1 namespace(s) in 16.3 ms
// (cpu user 10.9 ms, sys 8.6 ms; 1 batches)": the cycle's own wall and CPU.
function parseTcplens(line) {
  const num = (re) => {
    const m = re.exec(line);
    return m ? Number(m[1].replace(/,/g, '')) : NaN;
  };
  return {
    sockets: num(/([\d,]+)\s+sockets/),
    wallMs: num(/\bin\s+([\d.]+)\s*ms/),
    userUs: num(/cpu\s+user\s+([\d.]+)\s*ms/) * 1000,
    sysUs: num(/\bsys\s+([\d.]+)\s*ms/) * 1000,
  };
}

// Start-up anchors: the same command on an empty namespace (lo only), run
// before the farms existed.
const startup = {};
for (const c of ['floor', 'ss', 'tcplens', 'catnull']) {
  const e = pick(c, 'empty').filter((r) => r.ru.exit === 0);
  startup[c] = { user: median(e.map((r) => r.ru.user_us)), sys: median(e.map((r) => r.ru.sys_us)) };
}

// A row: per-run user/sys µs (already adjusted), then medians per socket.
function row(label, rs, adjust = () => ({})) {
  const ok = rs.filter((r) => r.ru.exit === 0 && socketsOf(r) > 0);
  const per = ok.map((r) => {
    const a = { user: r.ru.user_us, sys: r.ru.sys_us, ...adjust(r) };
    const n = socketsOf(r);
    return { user: a.user / n, sys: a.sys / n, total: (a.user + a.sys) / n };
  });
  return {
    label,
    runs: ok.length,
    of: rs.length,
    user: median(per.map((p) => p.user)),
    sys: median(per.map((p) => p.sys)),
    total: median(per.map((p) => p.total)),
    wall: median(ok.map((r) => r.ru.wall_us / 1000)),
    rss: median(ok.map((r) => r.ru.maxrss_kb / 1024)),
  };
}
const minus = (c) => (r) => ({ user: r.ru.user_us - startup[c].user, sys: r.ru.sys_us - startup[c].sys });

const floor = row('floor (raw dump)', pick('floor', 'full'));
const ss = row('ss -tinmHO', pick('ss', 'full'));
const tl = row('tcplens --once (whole process)', pick('tcplens', 'full'));
const floorSub = row('', pick('floor', 'full'), minus('floor'));
const ssSub = row('', pick('ss', 'full'), minus('ss'));
const tlSub = row('tcplens --once (whole - start-up)', pick('tcplens', 'full'), minus('tcplens'));
const tlCycle = row('tcplens --once (cycle, self-reported)', pick('tcplens', 'full'), (r) => {
  const p = parseTcplens(r.out);
  return { user: p.userUs, sys: p.sysUs };
});
tlCycle.wall = median(pick('tcplens', 'full').map((r) => parseTcplens(r.out).wallMs));
tlCycle.rss = NaN; // not self-reported
const emptyWall = median(
  pick('tcplens', 'empty')
    .filter((r) => r.ru.exit === 0)
    .map((r) => r.ru.wall_us / 1000),
);
tlSub.wall = tlSub.wall > emptyWall ? tlSub.wall - emptyWall : NaN; // noise on tiny runs
tlSub.rss = NaN;
const tlSeen = median(pick('tcplens', 'full').map((r) => parseTcplens(r.out).sockets));

// The sidecar: one `tcplens poll --interval 1ms --count N` process a rep, one
// summary line a cycle (joined by '|' in runs.jsonl). Cycle 1 is cold (JIT,
// first touch) and dropped; per rep, the median of cycles 2..N of user, sys
// and user+sys per socket; then the median over reps. maxRSS is the whole
// process's (what a sidecar holds after N cycles).
const STEADY_SKIP = 1;
const cyclesOf = (r) => r.out.split('|').filter(Boolean).map(parseTcplens);
/** A sidecar command's steady cycles (cycle 1 dropped), per socket of the
 * floor. `counts`: every cycle must have reported the floor's sockets (a
 * poll of changes only reports fewer). */
function steadyOf(cmd, counts) {
  const runs = pick(cmd, 'full');
  const per = [];
  for (const r of runs) {
    const n = socketsOf(r),
      all = cyclesOf(r),
      cs = all.slice(STEADY_SKIP);
    if (r.ru.exit !== 0 || !(n > 0)) continue;
    if (cs.length === 0) {
      steadyProblems.push(`${cmd} (rep ${r.rep}) printed ${all.length} cycle(s)`);
      continue;
    }
    for (const [i, c] of all.entries()) {
      if ((counts || i === 0) && c.sockets !== n)
        steadyProblems.push(`${cmd} (rep ${r.rep}) cycle ${i + 1} counted ${c.sockets} sockets, the floor ${n}`);
    }
    per.push({
      cycles: all.length,
      user: median(cs.map((c) => c.userUs)) / n,
      sys: median(cs.map((c) => c.sysUs)) / n,
      total: median(cs.map((c) => c.userUs + c.sysUs)) / n,
      wall: median(cs.map((c) => c.wallMs)),
      rss: r.ru.maxrss_kb / 1024,
      emitted: median(cs.map((c) => c.sockets)),
    });
  }
  return { runs, per };
}
const steadyProblems = [];
const { runs: steadyRuns, per: steadyPer } = steadyOf('steady', true);
const steadyRow = (label, { runs, per }) => ({
  label,
  runs: per.length,
  of: runs.length,
  ...Object.fromEntries(['user', 'sys', 'total', 'wall', 'rss', 'emitted'].map((k) => [k, median(per.map((p) => p[k]))])),
});
const iterAll = steadyRow('iter poll, all changed (steady)', steadyOf('iter', true));
const iterQuiet = steadyRow('iter poll, unchanged (steady)', steadyOf('iterq', false));
// --baseline TREE: the same rows from another build, interleaved (before/after)
const iterAllB = steadyRow('  baseline build, all changed', steadyOf('iterb', true));
const iterQuietB = steadyRow('  baseline build, unchanged', steadyOf('iterqb', false));
// what an iter/tcp pass costs before tcplens's program does anything (iter_floor.bpf.c)
const walk = row('iter/tcp walk, empty program', pick('walk', 'full'));
const walkRead = row('iter/tcp walk + 1 tcp_sock field', pick('walkread', 'full'));
// the same check kept in socket storage: the pass that writes it, and walks of the storage map instead of the hash table
const storeFill = row('iter/tcp walk + socket storage write', pick('storefill', 'full'));
const storeWalk = row('storage map walk, empty program', pick('storewalk', 'full'));
const storeWalkRead = row('storage map walk + field vs record', pick('storewalkread', 'full'));
const steadyCycles = median(steadyPer.map((p) => p.cycles));
// Cross-check of the self-reported window (printer.begin .. the cycle's end):
// per rep, (sidecar process CPU - --once process CPU of the same rep) / its
// extra cycles. That also holds what falls outside the window (summary output,
// timers, GC between cycles) and the preflight an --interval poll runs once.
const onceByRep = new Map(
  pick('tcplens', 'full')
    .filter((r) => r.ru.exit === 0)
    .map((r) => [r.rep, r]),
);
const steadyMarginal = median(
  steadyRuns
    .filter((r) => r.ru.exit === 0 && onceByRep.has(r.rep) && socketsOf(r) > 0 && cyclesOf(r).length > 1)
    .map((r) => {
      const o = onceByRep.get(r.rep).ru,
        extra = cyclesOf(r).length - 1;
      return (r.ru.user_us + r.ru.sys_us - (o.user_us + o.sys_us)) / extra / socketsOf(r);
    }),
);
const tlSteady = steadyRow('tcplens sidecar (steady cycle)', { runs: steadyRuns, per: steadyPer });

const sinkCycles = (r) => {
  try {
    return JSON.parse(r.out.replace(/\\"/g, '"')).cycles;
  } catch {
    return NaN;
  }
};
const sinkEmpty = pick('sink', 'empty').filter((r) => r.ru.exit === 0);
const sinkBase = median(sinkEmpty.map((r) => r.ru.user_us + r.ru.sys_us));
const sinkBaseUser = median(sinkEmpty.map((r) => r.ru.user_us)),
  sinkBaseSys = median(sinkEmpty.map((r) => r.ru.sys_us));
const sinkPer = pick('sink', 'full')
  .filter((r) => r.ru.exit === 0 && socketsOf(r) > 0 && sinkCycles(r) > 0)
  .map((r) => {
    const d = sinkCycles(r) * socketsOf(r);
    return {
      user: (r.ru.user_us - sinkBaseUser) / d,
      sys: (r.ru.sys_us - sinkBaseSys) / d,
      total: (r.ru.user_us + r.ru.sys_us - sinkBase) / d,
      wall: NaN,
      rss: r.ru.maxrss_kb / 1024,
      cycles: sinkCycles(r),
    };
  });
const tlSink = {
  label: 'tcplens run + ClickHouse sink (per cycle)',
  runs: sinkPer.length,
  of: pick('sink', 'full').length,
  ...Object.fromEntries(['user', 'sys', 'total', 'wall', 'rss'].map((k) => [k, median(sinkPer.map((p) => p[k]))])),
};
// Steady state of the same runs: the process CPU the run logged at the end of
// each cycle (`run.cycle`, debug), from cycle 2 to the last, per cycle and
// socket: no start-up, no first cycle (flow table filled, JIT, the first
// socket-owner pass). The sink's inserts run between cycles, so they are in it.
const sinkCpus = (r) => {
  try {
    return JSON.parse(r.out.replace(/\\"/g, '"')).cycle_cpu_us ?? [];
  } catch {
    return [];
  }
};
const steadyCycleUs = (r) => {
  const c = sinkCpus(r);
  return c.length >= 3 ? (c[c.length - 1] - c[1]) / (c.length - 2) : NaN;
};
// what a cycle of the same run costs on the empty namespace (timers, drains, samplers, inserts of its few rows)
const sinkEmptyCycle = median(sinkEmpty.map(steadyCycleUs).filter(Number.isFinite));
const sinkSteadyPer = pick('sink', 'full')
  .filter((r) => r.ru.exit === 0 && socketsOf(r) > 0 && sinkCpus(r).length >= 3)
  .map((r) => ({
    total: (steadyCycleUs(r) - (Number.isFinite(sinkEmptyCycle) ? sinkEmptyCycle : 0)) / socketsOf(r),
    user: NaN,
    sys: NaN,
    wall: NaN,
    rss: r.ru.maxrss_kb / 1024,
  }));
const tlSinkSteady = {
  label: 'tcplens run + sink (steady cycle)',
  runs: sinkSteadyPer.length,
  of: pick('sink', 'full').length,
  ...Object.fromEntries(['user', 'sys', 'total', 'wall', 'rss'].map((k) => [k, median(sinkSteadyPer.map((p) => p[k]))])),
};

const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const goal = (ok) => (Number.isFinite(ok) ? (ok ? 'MET' : 'NOT MET') : 'n/a');
// No ratio of a figure that noise pushed to or below zero (tiny runs minus their anchor).
const ratio = (a, b) => (a > 0 && b > 0 ? a / b : NaN);
const sockets = median([...floorCount.values()]);

const out = [];
out.push(
  `tcplens poll benchmark: ${sockets} sockets in the namespace per the floor (built ${built}: ${est} established` +
    ` per ss + listeners; ${farms} farms, ${v6}% IPv6); tcplens counted ${f(tlSeen, 0)}`,
);
out.push(
  `medians of ${pick('floor', 'full').length} interleaved reps (floor, ss, tcplens --once, tcplens sidecar, ...); CPU = getrusage of the child` +
    ` (user+sys); tcplens runs from the host netns with --netns NAME (enters it itself)`,
);
out.push('');
const head = ['command', 'user us/sock', 'sys us/sock', 'total us/sock', 'wall ms', 'maxRSS MB', 'x floor', 'ss / this', 'ok runs'];
const w = [37, 12, 11, 13, 9, 9, 8, 9, 7];
const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join(' ');
out.push(line(head));
out.push(line(w.map((n) => '-'.repeat(n))));
for (const [r, fl, s] of [
  [floor, floor, ss],
  [ss, floor, ss],
  [tl, floor, ss],
  [tlCycle, floor, ss],
  [tlSub, floorSub, ssSub],
  [tlSteady, floor, ss],
  ...(iterAll.of ? [[iterAll, floor, ss]] : []),
  ...(iterQuiet.of ? [[iterQuiet, floor, ss]] : []),
  ...(iterAllB.of ? [[iterAllB, floor, ss]] : []),
  ...(iterQuietB.of ? [[iterQuietB, floor, ss]] : []),
  ...(walk.of ? [[walk, floor, ss]] : []),
  ...(walkRead.of ? [[walkRead, floor, ss]] : []),
  ...(storeWalk.of
    ? [
        [storeFill, floor, ss],
        [storeWalk, floor, ss],
        [storeWalkRead, floor, ss],
      ]
    : []),
  ...(tlSink.of
    ? [
        [tlSink, floor, ss],
        [tlSinkSteady, floor, ss],
      ]
    : []),
]) {
  out.push(
    line([
      r.label,
      f(r.user, 3),
      f(r.sys, 3),
      f(r.total, 3),
      f(r.wall, 1),
      f(r.rss, 1),
      f(ratio(r.total, fl.total)),
      f(ratio(s.total, r.total)),
      `${r.runs}/${r.of}`,
    ]),
  );
}
out.push('');
const ms = (c) => f((startup[c].user + startup[c].sys) / 1000, 1);
out.push(
  `start-up anchors (same command, empty netns, before the farms were built; median CPU ms): floor ${ms('floor')}, ss ${ms('ss')}, tcplens ${ms('tcplens')}`,
);
out.push("(each holds process start-up and, per dump, a walk of the global TCP hash table past other namespaces' sockets)");
out.push("rows 3-5: `tcplens poll --once --format none` (the issue's goal: one dump + parse into columns, no printing);");
out.push(
  `row 6: a sidecar, \`tcplens poll --interval 1ms --count ${f(steadyCycles, 0)} --format none\`: per rep, the median of cycles` +
    ` ${STEADY_SKIP + 1}-${f(steadyCycles, 0)} (cycle 1, cold, dropped) from the summary lines; wall = the cycle's, maxRSS = the whole process's`,
);
out.push(
  `cross-check of row 6: (sidecar process CPU - --once process CPU) / ${f(steadyCycles - 1, 0)} more cycles = ${f(steadyMarginal, 3)} us/sock` +
    ' (adds work outside the self-reported window: output, timers, GC between cycles; and the --interval preflight, once)',
);
out.push('rows 1-4 and 6 are against the whole floor and ss processes (their own start-up is the small anchor above);');
out.push(
  `row 5 is against the floor and ss minus their own start-up anchors: floor ${f(floorSub.total, 3)}, ss ${f(ssSub.total, 3)} us/sock`,
);
if (tlSink.of) {
  out.push(
    `row 7: \`tcplens run\` with the ClickHouse sink (every view, ${f(median(sinkPer.map((p) => p.cycles)), 0)} cycles a run): (process CPU - the same run` +
      ` on the empty netns, ${f(sinkBase / 1000, 0)} ms) / cycles / sockets; maxRSS = the whole process's; the server's own CPU is not counted`,
  );
  out.push(
    'row 8: the same runs in steady state: (process CPU logged at the end of the last cycle - at the end of cycle 2) / the cycles between,' +
      ` minus the same on the empty netns (${f(sinkEmptyCycle / 1000, 1)} ms a cycle), / sockets`,
  );
  const x = ratio(tlSink.total, floor.total),
    xs = ratio(tlSinkSteady.total, floor.total);
  out.push(
    `goal sidecar with the sink: <= 2x floor per socket per cycle: ${f(x)}x ${goal(Number.isFinite(x) ? +(x <= 2) : NaN)} (whole run),` +
      ` ${f(xs)}x ${goal(Number.isFinite(xs) ? +(xs <= 2) : NaN)} (steady);` +
      ` RSS < 150 MB: ${f(tlSink.rss, 1)} MB ${goal(Number.isFinite(tlSink.rss) ? +(tlSink.rss < 150) : NaN)}`,
  );
  // the anchor of the RSS: the same run on the empty namespace (Node, the addon, every view's maps and buffers)
  const emptyRss = median(sinkEmpty.map((r) => r.ru.maxrss_kb / 1024));
  out.push(
    `RSS of the run: ${f(tlSink.rss, 1)} MB at ${socketsOf(pick('floor', 'full')[0] ?? {})} sockets beside ${f(emptyRss, 1)} MB on the empty netns` +
      ` (${f(ratio(tlSink.rss, emptyRss))}x; +${f(tlSink.rss - emptyRss, 1)} MB, ${f(((tlSink.rss - emptyRss) * 1048576) / socketsOf(pick('floor', 'full')[0] ?? {}), 0)} bytes a socket)`,
  );
}
if (iterAll.of) {
  const xa = ratio(iterAll.total, floor.total),
    xq = ratio(iterQuiet.total, floor.total);
  out.push(
    `iter rows: \`tcplens poll --poll-via iter --interval 1ms --count ${f(steadyCycles, 0)} --format none\` (every pass full: every socket` +
      ` emitted, as when all changed), and the same with --changed (after the first full pass only sockets that moved:` +
      ` ${f(iterQuiet.emitted, 0)} a cycle on the idle farm); cycles 2-${f(steadyCycles, 0)}, per socket of the floor`,
  );
  out.push(
    `goal iter poll vs the floor: unchanged <= 0.3x: ${f(xq)}x ${goal(Number.isFinite(xq) ? +(xq <= 0.3) : NaN)};` +
      ` all changed <= 0.6x: ${f(xa)}x ${goal(Number.isFinite(xa) ? +(xa <= 0.6) : NaN)};` +
      ` vs the inet_diag sidecar: ${f(ratio(iterAll.total, tlSteady.total))}x (all changed), ${f(ratio(iterQuiet.total, tlSteady.total))}x (unchanged)`,
  );
  if (iterAllB.of)
    out.push(
      `this build vs the baseline build (--baseline, same run): all changed ${f(ratio(iterAll.total, iterAllB.total))}x its cost,` +
        ` unchanged ${f(ratio(iterQuiet.total, iterQuietB.total))}x`,
    );
  if (walk.of)
    out.push(
      `the walk's own cost (cat of a pinned iter/tcp program, iter_floor.bpf.c): empty program ${f(ratio(walk.total, floor.total))}x the floor,` +
        ` + one tcp_sock field ${f(ratio(walkRead.total, floor.total))}x: what any in-kernel change check pays before it compares`,
    );
  if (storeWalk.of)
    out.push(
      `a walk of the socket storage map instead (iter/bpf_sk_storage_map: no hash-table walk, no socket lock): empty program` +
        ` ${f(ratio(storeWalk.total, floor.total))}x the floor, reading the field and comparing it with the record` +
        ` ${f(ratio(storeWalkRead.total, floor.total))}x; the iter/tcp pass that writes the records ${f(ratio(storeFill.total, floor.total))}x`,
    );
  if (walk.of && startup.catnull.user + startup.catnull.sys > 0) {
    // where starting a process is not small against a pass (a qemu guest): the same, each net of its start-up
    const x = (c) => f(ratio(row('', pick(c, 'full'), minus('catnull')).total, floorSub.total));
    const ms = (c) => f((startup[c].user + startup[c].sys) / 1000, 1);
    out.push(
      `net of start-up (cat ${ms('catnull')} ms, the floor's ${ms('floor')} ms): iter/tcp walk ${x('walk')}x the floor,` +
        ` + one field ${x('walkread')}x` +
        (storeWalk.of ? `; storage map walk ${x('storewalk')}x, + field vs record ${x('storewalkread')}x` : ''),
    );
  }
}
if (loadavg) out.push(`load average (1, 5, 15 min) at start: ${loadavg.start}; at end: ${loadavg.end}`);
out.push('user/sys split is tick-sampled by the kernel; the total is exact');
out.push('');
for (const [r, fl, s] of [
  [tl, floor, ss],
  [tlCycle, floor, ss],
  [tlSub, floorSub, ssSub],
  [tlSteady, floor, ss],
]) {
  const xf = ratio(r.total, fl.total),
    xs = ratio(s.total, r.total);
  out.push(
    `goal ${r.label.replace('tcplens ', '')}: tcplens <= 1.2x floor: ${f(xf)}x ${goal(Number.isFinite(xf) ? +(xf <= 1.2) : NaN)};` +
      ` ss >= 3x tcplens: ${f(xs)}x ${goal(Number.isFinite(xs) ? +(xs >= 3) : NaN)}`,
  );
}
const problems = [];
for (const r of failed) problems.push(`${r.cmd} (${r.ns} netns, rep ${r.rep}) exited ${r.ru.exit}`);
if (Number(built) !== sockets) problems.push(`the floor saw ${sockets} sockets, the farms built ${built}`);
if (Number.isFinite(tlSeen) && tlSeen !== sockets) problems.push(`tcplens counted ${tlSeen} sockets, the floor ${sockets}`);
problems.push(...steadyProblems);
if (problems.length) out.push('', ...problems.map((p) => `PROBLEM: ${p}`));
console.log(out.join('\n'));
process.exitCode = problems.length ? 1 : 0;
