#!/usr/bin/env node
// The report of bench/poll/builds.sh: per rep and build, the whole run minus
// the same build's run on the empty namespace of that rep, per cycle and
// socket, as a ratio to that rep's raw dump floor; and the first two cycles'
// CPU (cycle 1 holds the start-up; cycle 2 what ran after cycle 1, the first
// owners pass where it runs then) minus the empty run's, beside a later cycle's.
'use strict';
const ls = require('fs')
  .readFileSync(process.argv[2], 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));
const med = (a) => {
  a = a.filter(Number.isFinite).sort((x, y) => x - y);
  if (!a.length) return NaN;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};
const tot = (r) => r.ru.user_us + r.ru.sys_us;
const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const later = (c) => (c.length >= 3 ? (c[c.length - 1] - c[1]) / (c.length - 2) : NaN); // cycles 3 on
const per = { base: [], this: [], iter: [] }; // iter: this tree with --poll-via iter (--iter)
for (const fl of ls.filter((l) => l.v === 'floor')) {
  const floorUs = tot(fl) / fl.out.sockets,
    n = fl.out.sockets;
  for (const v of Object.keys(per)) {
    const full = ls.find((l) => l.v === v && l.kind === 'full' && l.rep === fl.rep),
      empty = ls.find((l) => l.v === v && l.kind === 'empty' && l.rep === fl.rep);
    if (!full || !empty || full.ru.exit || empty.ru.exit || !full.cycles || full.cpu.length < 2 || empty.cpu.length < 2) continue;
    per[v].push({
      rep: fl.rep,
      la: full.la,
      whole: (tot(full) - tot(empty)) / full.cycles / n / floorUs,
      cycles: full.cycles,
      c1: (full.cpu[0] - empty.cpu[0]) / 1e3,
      c2: (full.cpu[1] - full.cpu[0] - (empty.cpu[1] - empty.cpu[0])) / 1e3,
      later: (later(full.cpu) - later(empty.cpu)) / 1e3,
      steady: (later(full.cpu) - later(empty.cpu)) / n / floorUs,
      // the goal's run when the machine is loaded and fewer cycles fit in 15 s
      // (the sink waits on ClickHouse): cycles 1 and 2 and three later ones
      five: (full.cpu[1] - empty.cpu[1] + 3 * (later(full.cpu) - later(empty.cpu))) / 5 / n / floorUs,
      rss: full.ru.maxrss_kb / 1024,
      // what the run wrote: --changes-only writes only the sockets that moved
      snaps: typeof full.snapshots === 'number' ? full.snapshots / full.cycles : NaN,
      args: full.args || '',
    });
  }
}
const floors = ls.filter((l) => l.v === 'floor');
console.log(
  `sockets ${floors[0]?.out.sockets}; ${floors.length} reps; floor ${f(med(floors.map((l) => tot(l) / l.out.sockets)))} us/socket (median)`,
);
console.log(
  'build  runs  whole run (x floor, per cycle)  as 5 cycles  steady (cycles 3+, x floor)  cycle 1 ms  cycle 2 ms  a later cycle ms  cycles  maxRSS MB  tcp_snapshots rows a cycle',
);
for (const v of Object.keys(per).filter((k) => per[k].length || k !== 'iter')) {
  const p = per[v],
    m = (k) => med(p.map((x) => x[k]));
  console.log(
    `${v.padEnd(5)}  ${String(p.length).padStart(4)}  ${f(m('whole')).padStart(30)}  ${f(m('five')).padStart(11)}  ${f(m('steady')).padStart(27)}  ${f(m('c1'), 0).padStart(10)}  ${f(m('c2'), 0).padStart(10)}  ${f(m('later'), 0).padStart(16)}  ${f(m('cycles'), 1).padStart(6)}  ${f(m('rss'), 0).padStart(9)}  ${f(m('snaps'), 0).padStart(26)}`,
  );
}
// the tcplens run options beyond the common ones (--this-args, --iter); the base runs with the defaults
for (const v of ['this', 'iter'].filter((k) => per[k].length && per[k][0].args)) console.log(`${v} runs with: ${per[v][0].args}`);
for (const v of ['this', 'iter'].filter((k) => per[k].length)) {
  const pairs = per[v].map((t) => [t, per.base.find((b) => b.rep === t.rep)]).filter(([, b]) => b);
  console.log(
    `per rep, ${v}/base: whole run ${pairs.map(([t, b]) => f(t.whole / b.whole)).join(' ')} (median ${f(med(pairs.map(([t, b]) => t.whole / b.whole)))})`,
  );
  console.log(
    `goal: whole run <= 2x the floor: ${v} ${f(med(per[v].map((x) => x.whole)))}x (as 5 cycles ${f(med(per[v].map((x) => x.five)))}${Number.isFinite(med(per[v].map((x) => x.five))) ? 'x' : ''}) ${med(per[v].map((x) => x.whole)) <= 2 ? 'MET' : 'NOT MET'}`,
  );
}
const la = ls.map((l) => l.la).filter(Number.isFinite);
console.log(`load average during the runs: ${Math.min(...la)}-${Math.max(...la)}`);
