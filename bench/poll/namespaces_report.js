#!/usr/bin/env node
// bench/poll --namespaces: the table from runs.jsonl (namespaces.sh). Per
// rep, a tcplens row's figure is the median CPU (user + sys, self-reported
// per cycle) of cycles 2 to the last (cycle 1 is cold), or for the host pass
// with a sweep every 10 cycles the mean of cycles 2-11 (one sweep among ten
// cycles: its amortised cost); a floor row's is the dump_floor process's
// CPU. Then the median over reps. Ratios: to the raw dump of every socket in
// one namespace (the goal's anchor) and to tcplens's inet_diag poll of them.
'use strict';
const fs = require('fs');
const { median } = require('../lib.js');

const [file, built1, builtN, nsn, loadFile] = process.argv.slice(2);
const runs = fs
  .readFileSync(file, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l))
  .filter((r) => r.rep > 0);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const CYCLE = /^polled (\d+) sockets in (\d+) namespace\(s\) in ([\d.]+) ms \(cpu user ([\d.]+) ms, sys ([\d.]+) ms/;

/** kind -> { cpu: ms per rep, sockets: per rep } */
function figures(kind) {
  const cpu = [];
  const sockets = [];
  for (const r of runs.filter((x) => x.kind === kind)) {
    if (kind.startsWith('floor')) {
      cpu.push((r.ru.user_us + r.ru.sys_us) / 1000);
      sockets.push(JSON.parse(r.out[0] ?? '{"sockets":0}').sockets);
      continue;
    }
    const cycles = r.out
      .map((l) => CYCLE.exec(l))
      .filter(Boolean)
      .map((m) => ({ sockets: Number(m[1]), cpu: Number(m[4]) + Number(m[5]) }));
    const steady = cycles.slice(1);
    if (!steady.length) continue;
    cpu.push(kind === 'host_n_sweep10' ? mean(steady.map((c) => c.cpu)) : median(steady.map((c) => c.cpu)));
    sockets.push(Math.max(...steady.map((c) => c.sockets)));
  }
  return { cpu: median(cpu), sockets: median(sockets), reps: cpu.length };
}

const rows = [
  ['floor: raw inet_diag dump, one namespace', 'floor_one'],
  ['tcplens inet_diag poll, one namespace', 'diag_one'],
  [`floor: raw dump of an empty namespace`, 'floor_empty'],
  [`inet_diag poll per namespace (today)`, 'diag_n'],
  [`iter/tcp poll per namespace`, 'iter_n'],
  [`host pass, no sweep`, 'host_n'],
  [`host pass, sweep every 10 (amortised)`, 'host_n_sweep10'],
  [`host pass, sweep every cycle`, 'host_n_sweep1'],
];
const f = Object.fromEntries(rows.map(([, k]) => [k, figures(k)]));
const anchor = f.floor_one.cpu;
const poll1 = f.diag_one.cpu;
const W = 40;
console.log(
  `tcplens poll over many namespaces: ${built1} sockets in one namespace (the anchor), then ${builtN} over ${nsn} namespaces; ` +
    `medians of ${f.floor_one.reps} reps, CPU per cycle`,
);
console.log(`${'row'.padEnd(W)} ${'cpu_ms'.padStart(9)} ${'x_floor1'.padStart(9)} ${'x_poll1'.padStart(8)} ${'sockets'.padStart(8)} reps`);
for (const [label, k] of rows) {
  const x = f[k];
  console.log(
    `${label.padEnd(W)} ${x.cpu.toFixed(1).padStart(9)} ${(x.cpu / anchor).toFixed(2).padStart(9)} ${(x.cpu / poll1).toFixed(2).padStart(8)} ${String(x.sockets).padStart(8)} ${x.reps}`,
  );
}
const goal = f.host_n_sweep10.cpu / anchor;
console.log(
  `goal: --poll-via host (sweep every 10, amortised) over ${nsn} namespaces <= 2x one dump of the same sockets in one namespace: ` +
    `${goal.toFixed(2)}x ${goal <= 2 ? 'MET' : 'NOT MET'}`,
);
console.log(
  `host pass / per-namespace inet_diag poll: ${(f.host_n_sweep10.cpu / f.diag_n.cpu).toFixed(3)}x; ` +
    `/ per-namespace iter/tcp poll: ${(f.host_n_sweep10.cpu / f.iter_n.cpu).toFixed(3)}x`,
);
const load = fs.readFileSync(loadFile, 'utf8').trim().split('\n');
console.log(`load average at start: ${load[0]}; at end: ${load[1] ?? '?'}`);
const bad = rows.some(([, k]) => !(f[k].reps > 0));
process.exit(bad ? 1 : 0);
