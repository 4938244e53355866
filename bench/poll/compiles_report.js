#!/usr/bin/env node
// The report of bench/poll/compiles.sh for one run's log (V8's trace and the
// JSON log in one stream): segments are start-up, then cycle N (from the
// log's run.started or the end of cycle N-1 to the end of cycle N; the
// owners pass right after cycle 1 falls in cycle 2).
'use strict';
const ls = require('fs').readFileSync(process.argv[2], 'utf8').split('\n');
let seg = 'start';
const segs = ['start'],
  compiles = {},
  ms = {},
  deopts = {},
  thrown = {},
  perFn = {},
  cycleMs = [];
const add = (o, k, n = 1) => (o[k] = (o[k] || 0) + n);
for (let i = 0; i < ls.length; i++) {
  const l = ls[i];
  if (l.includes('"key":"run.started"') || l.includes('"key":"run.cycle"')) {
    const c = l.includes('run.cycle') ? JSON.parse(l) : null;
    if (c) cycleMs.push(c.duration_ms);
    seg = `c${c ? c.cycle + 1 : 1}`;
    segs.push(seg);
    continue;
  }
  let m = l.match(/^\[completed compiling .*?<JSFunction ([^\s(]*) ?.*?\(target TURBOFAN\)( OSR)? - took ([\d.]+), ([\d.]+), ([\d.]+) ms/);
  if (m) {
    add(compiles, seg);
    add(ms, seg, +m[3] + +m[4] + +m[5]);
    const k = (m[1] || '(anonymous)') + (m[2] ? ' (OSR)' : '');
    (perFn[k] ??= []).push(seg);
    continue;
  }
  m = l.match(/^\[bailout \(kind: ([^,]+), reason: (.*?)\): begin.*?<JSFunction ([^\s(]*) ?/);
  if (m) {
    const at = (ls[i + 1] || '').match(/deoptimize at <([^>]*)>/);
    add(deopts, `${seg} ${m[3] || '(anonymous)'}: ${m[2]} (${m[1]})${at ? ` at ${at[1].replace(/^.*\/dist\//, 'dist/')}` : ''}`);
    continue;
  }
  m = l.match(/^\[marking dependent code .*?<SharedFunctionInfo ?([^>]*)>.*reason: ([^\]]*)\]/);
  if (m) add(thrown, `${seg} ${m[2]}`);
  m = l.match(/^Invalidating protector cell (\S+)/);
  if (m) add(thrown, `${seg} protector ${m[1]}`);
}
const total = Object.values(compiles).reduce((a, b) => a + b, 0);
console.log(`cycles (ms of wall time): ${cycleMs.join(' ')}`);
console.log(
  `TurboFan compiles: ${total}; per segment: ${segs.map((s) => `${s} ${compiles[s] || 0} (${Math.round(ms[s] || 0)} ms)`).join(', ')}`,
);
const again = Object.entries(perFn)
  .filter(([, a]) => a.length > 1)
  .sort((a, b) => b[1].length - a[1].length);
console.log(`compiled more than once: ${again.map(([k, a]) => `${k} ${a.join(',')}`).join('; ') || 'none'}`);
console.log('optimized code thrown away (marked for deoptimization):');
for (const [k, n] of Object.entries(thrown)) console.log(`  ${n} ${k}`);
console.log('deopts:');
for (const [k, n] of Object.entries(deopts)) console.log(`  ${n > 1 ? `${n}x ` : ''}${k}`);
