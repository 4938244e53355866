#!/usr/bin/env node
// Turns bench/samples runs (JSON lines) into the table: per mode, the median
// over reps of each rep's median iteration (the first, cold, iteration of
// every process is left out), tcplens beside the /proc sampler as a ratio.
const fs = require('fs');
const { median } = require('../lib.js');

const [file, threads, recv, reps, iters] = process.argv.slice(2);
const runs = fs
  .readFileSync(file, 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));
/** median over reps of the per-rep median of `key`, warm iterations only */
function stat(tool, mode, key) {
  const per = [];
  for (let r = 1; r <= Number(reps); r++) {
    const xs = runs
      .filter((x) => x.tool === tool && x.mode === mode && x.rep === r && x.iter > 0 && x[key] !== undefined)
      .map((x) => x[key]);
    if (xs.length) per.push(median(xs));
  }
  return median(per);
}
const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

const tasks = stat('proc', 'all', 'tasks');
console.log(
  `tcplens samples benchmark: ${threads} farm threads (${recv} blocked in recv on loopback, ${threads - recv} asleep), ` +
    `~${f(tasks, 0)} threads on the host; ${reps} rep(s) x ${iters} iterations, medians of warm iterations`,
);
console.log(
  'anchor: /proc sampler (proc_sampler.c: stat + syscall of every thread, fd link for socket syscalls: what ps/psn/xcapture v1 read)',
);
console.log('');
const head = [
  'mode',
  'rows',
  'tcplens cpu/iter ms',
  'of it: read thread ms',
  'of it: BPF prog ms',
  'wall ms',
  '/proc cpu/iter ms',
  '/proc rows',
  'tcplens / proc',
];
const rowsOut = [head];
for (const mode of ['active', 'all', 'floor']) {
  const cpu = stat('tcplens', mode, 'cpuMs');
  const proc = mode === 'floor' ? NaN : stat('proc', mode, 'cpuMs');
  rowsOut.push([
    mode === 'floor' ? 'floor (walk only)' : mode === 'all' ? 'all threads' : 'active only',
    f(stat('tcplens', mode, 'rows'), 0),
    f(cpu, 3),
    f(stat('tcplens', mode, 'readCpuMs'), 3),
    f(stat('tcplens', mode, 'bpfMs'), 3),
    f(stat('tcplens', mode, 'wallMs'), 3),
    f(proc, 3),
    mode === 'floor' ? '-' : f(stat('proc', mode, 'rows'), 0),
    mode === 'floor' ? '-' : `${f(cpu / proc, 3)}x`,
  ]);
}
const w = head.map((_, i) => Math.max(...rowsOut.map((r) => String(r[i]).length)));
for (const r of rowsOut)
  console.log(
    r
      .map((c, i) => String(c).padEnd(w[i]))
      .join('  ')
      .trimEnd(),
  );

const rss = median(
  Array.from({ length: Number(reps) }, (_, k) =>
    Math.max(
      ...runs
        .filter((x) => x.tool === 'tcplens' && x.mode === 'all' && x.rep === k + 1 && x.rssAddedMB !== undefined)
        .map((x) => x.rssAddedMB),
    ),
  ),
);
const lost = runs.filter((x) => x.tool === 'tcplens' && x.dropped !== undefined).reduce((a, x) => Math.max(a, x.dropped + x.malformed), 0);
const all = stat('tcplens', 'all', 'cpuMs');
const perTask = (all / stat('tcplens', 'all', 'tasksSeen')) * 1000;
console.log('');
console.log(
  `cpu per thread (all): tcplens ${f(perTask, 3)} us, /proc ${f((stat('proc', 'all', 'cpuMs') / tasks) * 1000, 3)} us; records dropped or malformed: ${lost}`,
);
console.log(`RSS the sampler adds (all threads, after ${iters} iterations; median of reps): ${f(rss, 1)} MB`);
console.log(
  `goal all threads: <= 3 ms per iteration: ${f(all, 3)} ms ${all <= 3 ? 'MET' : 'NOT MET'}; ` +
    `RSS added <= 20 MB: ${f(rss, 1)} MB ${rss <= 20 ? 'MET' : 'NOT MET'}`,
);
